package dev.runplane.server.grpc;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two rules of the server's sources (issue 18), read from the files themselves: a core type never
 * has the name of a proto type that it must be told apart from (only ProtoMapper, where both meet,
 * may qualify a name), and a gRPC service checks no field itself (its validator does).
 */
class ApiSourceRulesTest {

    private static final Path MAIN = Path.of("src/main/java/dev/runplane");
    private static final Pattern QUALIFIED = Pattern.compile("dev\\.runplane\\.(v1|server\\.core)\\.[A-Z]\\w*");

    private static List<Path> sources() {
        assertTrue(Files.isDirectory(MAIN), "run from the server module: " + MAIN.toAbsolutePath());
        try (Stream<Path> files = Files.walk(MAIN)) {
            return files.filter(f -> f.toString().endsWith(".java")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<String> lines(Path file) {
        try {
            return Files.readAllLines(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void noFullyQualifiedProtoOrCoreNamesOutsideProtoMapper() {
        List<String> found = new ArrayList<>();
        int files = 0;
        for (Path file : sources()) {
            files++;
            if (file.getFileName().toString().equals("ProtoMapper.java")) {
                continue;
            }
            List<String> lines = lines(file);
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i).strip();
                if (line.startsWith("import ") || line.startsWith("package ")) {
                    continue;
                }
                Matcher m = QUALIFIED.matcher(line);
                while (m.find()) {
                    found.add(MAIN.relativize(file) + ":" + (i + 1) + " " + m.group());
                }
            }
        }
        assertTrue(files > 100, "read the sources: " + files + " files");
        assertEquals(List.of(), found);
    }

    @Test
    void servicesLeaveEveryCheckToAValidator() {
        List<String> found = new ArrayList<>();
        List<Path> services = sources().stream().filter(f -> f.getFileName().toString().endsWith("GrpcService.java"))
                .toList();
        assertEquals(3, services.size(), "ExecutionGrpcService, WorkerGrpcService, KeyGrpcService: " + services);
        for (Path file : services) {
            List<String> lines = lines(file);
            for (int i = 0; i < lines.size(); i++) {
                if (lines.get(i).contains("RequestChecks")) {
                    found.add(file.getFileName() + ":" + (i + 1) + " " + lines.get(i).strip());
                }
            }
        }
        assertEquals(List.of(), found);
    }
}
