package io.tandem.model.config;

/** An API user. Only the SHA-256 of the token is stored, never the token itself. */
public record UserConfig(String name, Role role, String tokenSha256) {
    @Override
    public String toString() {
        return "UserConfig[name=" + name + ", role=" + role + "]";
    }
}
