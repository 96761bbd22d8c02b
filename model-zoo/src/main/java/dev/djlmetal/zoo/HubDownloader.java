package dev.djlmetal.zoo;

import ai.djl.util.Progress;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Reader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Downloads the files of a Hugging Face Hub model into a directory: {@code config.json}, the
 * tokenizer and generation files when present, and every safetensors shard (listed by {@code
 * model.safetensors.index.json}, or the single {@code model.safetensors}).
 *
 * <p>Each file goes to {@code name.part} first. An interrupted download resumes with an HTTP {@code
 * Range} request; a complete one is checked against the size and, for files stored with Git LFS,
 * the SHA-256 the hub sends as {@code X-Linked-ETag} (or {@code ETag}), then moved into place. A
 * file that fails the checksum is deleted.
 */
final class HubDownloader {

    private static final Logger logger = LoggerFactory.getLogger(HubDownloader.class);

    static final String INDEX = "model.safetensors.index.json";
    static final String SINGLE = "model.safetensors";
    private static final String[] OPTIONAL_FILES = {
        "generation_config.json",
        "tokenizer.json",
        "tokenizer_config.json",
        "special_tokens_map.json"
    };
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final int MAX_REDIRECTS = 10;

    private final String endpoint;
    private final String token;
    private final Progress progress;
    private final HttpClient client;

    HubDownloader(String endpoint, String token, Progress progress) {
        this.endpoint =
                endpoint.endsWith("/") ? endpoint.substring(0, endpoint.length() - 1) : endpoint;
        this.token = token;
        this.progress = progress;
        this.client =
                HttpClient.newBuilder()
                        .followRedirects(HttpClient.Redirect.NEVER)
                        .connectTimeout(Duration.ofSeconds(30))
                        .build();
    }

    /**
     * Downloads the model's files into a directory; files already there are kept.
     *
     * @param id the model
     * @param dir the target directory
     * @throws IOException when a required file is missing on the hub or a download fails
     */
    void download(HubModelId id, Path dir) throws IOException {
        Files.createDirectories(dir);
        fetch(id, dir, "config.json", true);
        for (String file : OPTIONAL_FILES) {
            fetch(id, dir, file, false);
        }
        if (fetch(id, dir, INDEX, false)) {
            for (String shard : shardNames(dir)) {
                fetch(id, dir, shard, true);
            }
        } else {
            fetch(id, dir, SINGLE, true);
        }
    }

    /**
     * Returns whether a directory holds a complete download: {@code config.json} and every weight
     * file.
     *
     * @param dir the directory
     * @return {@code true} when nothing is missing
     * @throws IOException when the shard index cannot be read
     */
    static boolean isComplete(Path dir) throws IOException {
        if (!Files.isRegularFile(dir.resolve("config.json"))) {
            return false;
        }
        if (Files.isRegularFile(dir.resolve(INDEX))) {
            for (String shard : shardNames(dir)) {
                if (!Files.isRegularFile(dir.resolve(shard))) {
                    return false;
                }
            }
            return true;
        }
        return Files.isRegularFile(dir.resolve(SINGLE));
    }

    static List<String> shardNames(Path dir) throws IOException {
        Path index = dir.resolve(INDEX);
        JsonObject weightMap;
        try (Reader reader = Files.newBufferedReader(index)) {
            JsonElement map = JsonParser.parseReader(reader).getAsJsonObject().get("weight_map");
            if (map == null || !map.isJsonObject()) {
                throw new IOException(index + " has no weight_map object");
            }
            weightMap = map.getAsJsonObject();
        } catch (RuntimeException e) {
            throw new IOException("Cannot parse " + index + ": " + e.getMessage(), e);
        }
        TreeSet<String> names = new TreeSet<>();
        for (Map.Entry<String, JsonElement> entry : weightMap.entrySet()) {
            String name = entry.getValue().getAsString();
            Path resolved = dir.resolve(name).normalize();
            if (!resolved.startsWith(dir.normalize()) || name.contains("/") || name.isEmpty()) {
                throw new IOException(
                        index + " names shard file " + name + " outside the model directory");
            }
            names.add(name);
        }
        return new ArrayList<>(names);
    }

    private boolean fetch(HubModelId id, Path dir, String file, boolean required)
            throws IOException {
        Path target = dir.resolve(file);
        if (Files.isRegularFile(target)) {
            return true;
        }
        URI uri = id.fileUri(endpoint, file);
        RemoteFile remote = head(uri);
        if (remote == null) {
            if (required) {
                throw new FileNotFoundException(
                        id + " has no file " + file + " (HTTP 404 from " + uri + ")");
            }
            return false;
        }
        Path part = dir.resolve(file + ".part");
        long have = Files.isRegularFile(part) ? Files.size(part) : 0;
        if (remote.size >= 0 && have > remote.size) {
            Files.delete(part);
            have = 0;
        }
        if (remote.size < 0 || have < remote.size) {
            transfer(uri, remote.location, file, part, have, remote.size);
        }
        long size = Files.size(part);
        if (remote.size >= 0 && size != remote.size) {
            throw new IOException(
                    "Download of "
                            + file
                            + " from "
                            + uri
                            + " is incomplete: "
                            + size
                            + " of "
                            + remote.size
                            + " bytes; load again to resume");
        }
        if (remote.sha256 != null) {
            String actual = sha256(part);
            if (!actual.equals(remote.sha256)) {
                Files.delete(part);
                throw new IOException(
                        "Checksum mismatch for "
                                + file
                                + " from "
                                + uri
                                + ": expected SHA-256 "
                                + remote.sha256
                                + ", got "
                                + actual
                                + "; the corrupt download was deleted");
            }
        }
        try {
            Files.move(part, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            Files.move(part, target, StandardCopyOption.REPLACE_EXISTING);
        }
        logger.debug("Downloaded {} ({} bytes)", uri, size);
        return true;
    }

    private RemoteFile head(URI uri) throws IOException {
        URI current = uri;
        String linkedEtag = null;
        long linkedSize = -1;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            HttpResponse<Void> response =
                    send(
                            request(current, uri)
                                    .method("HEAD", HttpRequest.BodyPublishers.noBody()),
                            HttpResponse.BodyHandlers.discarding());
            HttpHeaders headers = response.headers();
            if (linkedEtag == null) {
                linkedEtag = headers.firstValue("X-Linked-Etag").orElse(null);
            }
            if (linkedSize < 0) {
                linkedSize = headers.firstValueAsLong("X-Linked-Size").orElse(-1);
            }
            int status = response.statusCode();
            if (isRedirect(status) && linkedEtag != null && linkedSize >= 0) {
                // a Git LFS file: the hub answered for it; storage hosts may refuse HEAD
                return new RemoteFile(uri, linkedSize, toSha256(linkedEtag));
            }
            if (isRedirect(status)) {
                current = redirect(current, headers);
                continue;
            }
            if (status == 404) {
                return null;
            }
            checkStatus(status, uri);
            String etag = linkedEtag != null ? linkedEtag : headers.firstValue("ETag").orElse(null);
            long size =
                    linkedSize >= 0
                            ? linkedSize
                            : headers.firstValueAsLong("Content-Length").orElse(-1);
            return new RemoteFile(current, size, toSha256(etag));
        }
        throw new IOException("Too many redirects for " + uri);
    }

    private void transfer(URI hub, URI location, String file, Path part, long have, long size)
            throws IOException {
        URI current = location;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            HttpRequest.Builder builder = request(current, hub).GET();
            if (have > 0) {
                builder.header("Range", "bytes=" + have + '-');
            }
            HttpResponse<InputStream> response =
                    send(builder, HttpResponse.BodyHandlers.ofInputStream());
            int status = response.statusCode();
            if (isRedirect(status)) {
                response.body().close();
                current = redirect(current, response.headers());
                continue;
            }
            if (status == 206 && rangeStart(response.headers()) != have) {
                response.body().close();
                Files.deleteIfExists(part);
                throw new IOException(
                        "The server answered the resume of "
                                + file
                                + " at byte "
                                + have
                                + " with "
                                + response.headers().firstValue("Content-Range").orElse("no")
                                + " Content-Range; the partial file was deleted, load again");
            }
            boolean append = status == 206 && have > 0;
            if (status != 206) {
                if (status != 200) {
                    response.body().close();
                    checkStatus(status, location);
                }
                have = 0;
            }
            copy(response.body(), file, part, append, have, size);
            return;
        }
        throw new IOException("Too many redirects for " + location);
    }

    private void copy(
            InputStream body, String file, Path part, boolean append, long have, long size)
            throws IOException {
        if (progress != null) {
            progress.reset(file, size > 0 ? size : 1);
            progress.update(have);
        }
        long written = have;
        StandardOpenOption mode =
                append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING;
        try (InputStream in = body;
                OutputStream out =
                        Files.newOutputStream(
                                part, StandardOpenOption.CREATE, StandardOpenOption.WRITE, mode)) {
            byte[] buffer = new byte[1 << 16];
            int n;
            while ((n = in.read(buffer)) > 0) {
                out.write(buffer, 0, n);
                written += n;
                if (progress != null) {
                    progress.increment(n);
                }
            }
        } catch (IOException e) {
            throw new IOException(
                    "Download of "
                            + file
                            + " was interrupted after "
                            + written
                            + (size >= 0 ? " of " + size : "")
                            + " bytes; load again to resume: "
                            + e.getMessage(),
                    e);
        } finally {
            if (progress != null) {
                progress.end();
            }
        }
    }

    private HttpRequest.Builder request(URI uri, URI hub) {
        HttpRequest.Builder builder =
                HttpRequest.newBuilder(uri)
                        .timeout(Duration.ofMinutes(10))
                        .header("User-Agent", "djl-metal");
        // the token goes to the hub only, never to a storage host the hub redirects to
        if (token != null && sameHost(uri, hub)) {
            builder.header("Authorization", "Bearer " + token);
        }
        return builder;
    }

    private <T> HttpResponse<T> send(HttpRequest.Builder builder, HttpResponse.BodyHandler<T> h)
            throws IOException {
        try {
            return client.send(builder.build(), h);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("Interrupted while downloading", e);
        }
    }

    private void checkStatus(int status, URI uri) throws IOException {
        if (status == 401 || status == 403) {
            throw new IOException(
                    "HTTP "
                            + status
                            + " from "
                            + uri
                            + (token == null
                                    ? ": the model may be gated or private; set HF_TOKEN"
                                    : ": HF_TOKEN is not allowed to read this model"));
        }
        if (status != 200 && status != 206) {
            throw new IOException("HTTP " + status + " from " + uri);
        }
    }

    private static long rangeStart(HttpHeaders headers) {
        String range = headers.firstValue("Content-Range").orElse("");
        if (!range.startsWith("bytes ") || range.indexOf('-') < 0) {
            return -1;
        }
        try {
            return Long.parseLong(range.substring(6, range.indexOf('-')).trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static boolean isRedirect(int status) {
        return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
    }

    private static URI redirect(URI current, HttpHeaders headers) throws IOException {
        String location =
                headers.firstValue("Location")
                        .orElseThrow(
                                () -> new IOException("Redirect without Location: " + current));
        return current.resolve(location);
    }

    private static boolean sameHost(URI a, URI b) {
        return a.getHost() != null
                && a.getHost().equalsIgnoreCase(b.getHost())
                && a.getPort() == b.getPort();
    }

    private static String toSha256(String etag) {
        if (etag == null) {
            return null;
        }
        String value = etag.trim();
        if (value.startsWith("W/")) {
            value = value.substring(2);
        }
        value = value.replace("\"", "").toLowerCase(Locale.ROOT);
        return SHA256.matcher(value).matches() ? value : null;
    }

    static String sha256(Path file) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[1 << 16];
            int n;
            while ((n = in.read(buffer)) > 0) {
                digest.update(buffer, 0, n);
            }
        }
        StringBuilder sb = new StringBuilder(64);
        for (byte b : digest.digest()) {
            sb.append(String.format("%02x", b));
        }
        return sb.toString();
    }

    /** What a HEAD request says about a file: where to get it, its size and its SHA-256. */
    private static final class RemoteFile {

        final URI location;
        final long size;
        final String sha256;

        RemoteFile(URI location, long size, String sha256) {
            this.location = location;
            this.size = size;
            this.sha256 = sha256;
        }
    }
}
