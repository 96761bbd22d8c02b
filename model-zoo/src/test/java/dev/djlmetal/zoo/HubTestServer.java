package dev.djlmetal.zoo;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A loopback HTTP server that behaves like the Hugging Face Hub for one model: {@code
 * /{repo}/resolve/{revision}/{file}}; {@code .safetensors} files are served like Git LFS files (a
 * redirect to {@code /cdn/{file}} carrying {@code X-Linked-Etag} with the SHA-256 and {@code
 * X-Linked-Size}), with HTTP range requests. Faults can be injected per file.
 */
final class HubTestServer implements AutoCloseable {

    final List<String> requests = new CopyOnWriteArrayList<>();
    final Set<String> truncateOnce = ConcurrentHashMap.newKeySet();
    final Map<String, String> wrongSha = new ConcurrentHashMap<>();

    private final HttpServer server;
    private final String prefix;
    private final Map<String, byte[]> files = new ConcurrentHashMap<>();

    HubTestServer(String repo, String revision, Path dir) throws IOException {
        prefix = '/' + repo + "/resolve/" + revision + '/';
        try (var stream = Files.list(dir)) {
            for (Path file : (Iterable<Path>) stream::iterator) {
                files.put(file.getFileName().toString(), Files.readAllBytes(file));
            }
        }
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    Set<String> fileNames() {
        return new HashSet<>(files.keySet());
    }

    byte[] bytes(String file) {
        return files.get(file);
    }

    private void handle(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        String method = exchange.getRequestMethod();
        String range = exchange.getRequestHeaders().getFirst("Range");
        String auth = exchange.getRequestHeaders().getFirst("Authorization");
        requests.add(
                method
                        + ' '
                        + path
                        + (range == null ? "" : " " + range)
                        + (auth == null ? "" : " auth=" + auth));
        try (exchange) {
            if (path.startsWith(prefix)) {
                String file = path.substring(prefix.length());
                byte[] data = files.get(file);
                if (data == null) {
                    exchange.sendResponseHeaders(404, -1);
                } else if (file.endsWith(".safetensors")) {
                    String sha = wrongSha.getOrDefault(file, sha256(data));
                    exchange.getResponseHeaders().set("X-Linked-Etag", '"' + sha + '"');
                    exchange.getResponseHeaders().set("X-Linked-Size", String.valueOf(data.length));
                    exchange.getResponseHeaders().set("Location", "/cdn/" + file);
                    exchange.sendResponseHeaders(302, -1);
                } else {
                    // a git blob id, not a SHA-256: nothing to verify but the size
                    String blobId = sha256(data).substring(0, 40);
                    exchange.getResponseHeaders().set("ETag", '"' + blobId + '"');
                    serve(exchange, method, file, data, null);
                }
            } else if (path.startsWith("/cdn/")) {
                String file = path.substring("/cdn/".length());
                byte[] data = files.get(file);
                if (data == null) {
                    exchange.sendResponseHeaders(404, -1);
                } else {
                    serve(exchange, method, file, data, range);
                }
            } else {
                exchange.sendResponseHeaders(404, -1);
            }
        } catch (IOException e) {
            // a truncated response ends here on purpose
        }
    }

    private void serve(HttpExchange exchange, String method, String file, byte[] data, String range)
            throws IOException {
        int start = 0;
        int status = 200;
        if (range != null && range.startsWith("bytes=") && range.endsWith("-")) {
            start = Integer.parseInt(range.substring(6, range.length() - 1));
            status = 206;
            String contentRange = "bytes " + start + '-' + (data.length - 1) + '/' + data.length;
            exchange.getResponseHeaders().set("Content-Range", contentRange);
        }
        int length = data.length - start;
        if ("HEAD".equals(method)) {
            exchange.getResponseHeaders().set("Content-Length", String.valueOf(length));
            exchange.sendResponseHeaders(status, -1);
            return;
        }
        exchange.sendResponseHeaders(status, length);
        OutputStream out = exchange.getResponseBody();
        if (truncateOnce.remove(file)) {
            out.write(data, start, length / 2);
            out.flush();
            throw new IOException("truncated on purpose");
        }
        out.write(data, start, length);
        out.close();
    }

    static String sha256(byte[] data) {
        try {
            StringBuilder sb = new StringBuilder();
            for (byte b : MessageDigest.getInstance("SHA-256").digest(data)) {
                sb.append(String.format("%02x", b));
            }
            return sb.toString();
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
