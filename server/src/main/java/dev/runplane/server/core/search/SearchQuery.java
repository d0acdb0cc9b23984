package dev.runplane.server.core.search;

/**
 * A validated Search request.
 *
 * @param text      free text (words combine with AND); null for none
 * @param binding   what a page token must have been issued for: a digest of the normalized filter,
 *                  text and order (page_size may change between pages)
 * @param pageToken the token of the previous page; null for the first page
 */
public record SearchQuery(SearchFilter filter, String text, SearchOrder order, int pageSize, String binding,
                          String pageToken, boolean includeTotalSize) {
}
