package dev.djlmetal.zoo;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * A Hugging Face Hub model id with an optional revision: {@code hf://org/name} or {@code
 * hf://org/name@revision} (a branch, a tag or a commit; the default is {@code main}).
 */
public final class HubModelId {

    private static final Pattern PART = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

    private final String repo;
    private final String revision;

    private HubModelId(String repo, String revision) {
        this.repo = repo;
        this.revision = revision;
    }

    /**
     * Parses an {@code hf://} URI.
     *
     * @param uri the URI, for example {@code hf://HuggingFaceTB/SmolLM2-135M@main}
     * @return the id
     * @throws IllegalArgumentException naming the URI when it is not of that form
     */
    public static HubModelId parse(URI uri) {
        String text = uri.toString();
        if (!"hf".equals(uri.getScheme())) {
            throw invalid(text);
        }
        String rest = text.substring("hf:".length());
        if (rest.startsWith("//")) {
            rest = rest.substring(2);
        }
        int query = rest.indexOf('?');
        if (query >= 0) {
            rest = rest.substring(0, query);
        }
        String revision = "main";
        int at = rest.indexOf('@');
        if (at >= 0) {
            revision = rest.substring(at + 1);
            rest = rest.substring(0, at);
            if (revision.isEmpty() || revision.contains("..") || revision.startsWith("/")) {
                throw invalid(text);
            }
        }
        if (rest.endsWith("/")) {
            rest = rest.substring(0, rest.length() - 1);
        }
        String[] parts = rest.split("/", -1);
        if (parts.length != 2
                || !PART.matcher(parts[0]).matches()
                || !PART.matcher(parts[1]).matches()
                || parts[1].contains("..")) {
            throw invalid(text);
        }
        return new HubModelId(parts[0] + '/' + parts[1], revision);
    }

    /**
     * Returns the repository, {@code org/name}.
     *
     * @return the repository
     */
    public String getRepo() {
        return repo;
    }

    /**
     * Returns the revision.
     *
     * @return the branch, tag or commit
     */
    public String getRevision() {
        return revision;
    }

    /**
     * Returns the URL of a file of this model: {@code {endpoint}/{repo}/resolve/{revision}/{file}}.
     *
     * @param endpoint the hub base URL, without a trailing slash
     * @param file the file name
     * @return the URL
     */
    public URI fileUri(String endpoint, String file) {
        String rev = URLEncoder.encode(revision, StandardCharsets.UTF_8);
        return URI.create(endpoint + '/' + repo + "/resolve/" + rev + '/' + file);
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "hf://" + repo + '@' + revision;
    }

    private static IllegalArgumentException invalid(String text) {
        return new IllegalArgumentException(
                "Invalid Hugging Face model id "
                        + text
                        + ": expected hf://org/name or hf://org/name@revision");
    }
}
