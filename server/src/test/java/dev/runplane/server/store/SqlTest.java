package dev.runplane.server.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.runplane.server.store.events.CoalescingNotifier;
import org.junit.jupiter.api.Test;

class SqlTest {

    @Test
    void whitespaceOutsideLiteralsBecomesOneSpace() {
        assertEquals("WITH e AS ( SELECT 1 ) SELECT * FROM e",
                Sql.compact("""
                        WITH e AS (
                            SELECT 1
                        )
                        SELECT *   FROM e
                        """));
    }

    @Test
    void literalsKeepTheirWhitespace() {
        assertEquals("SELECT 'a  b\n c', '' , 'it''s  so'",
                Sql.compact("SELECT   'a  b\n c',\n '' ,  'it''s  so'"));
    }

    @Test
    void lineCommentsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> Sql.compact("SELECT 1 -- why\nFROM t"));
    }

    @Test
    void theTransitionStatementsAreCompacted() {
        String sql = CoalescingNotifier.marked("SELECT id,\n    status FROM e /*mark*/\n", null);
        assertEquals("SELECT id, status FROM e", sql);
    }
}
