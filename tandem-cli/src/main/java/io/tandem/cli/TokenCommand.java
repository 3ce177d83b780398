package io.tandem.cli;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "token", mixinStandardHelpOptions = true,
        description = "Make a new API token and print it with the SHA-256 to put in tandem.yaml (users[].token_sha256). Only the hash is stored.")
final class TokenCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws NoSuchAlgorithmException {
        byte[] raw = new byte[24];
        new SecureRandom().nextBytes(raw);
        String token = "tdm_" + HexFormat.of().formatHex(raw);
        String hash = sha256(token);
        var out = spec.commandLine().getOut();
        out.println("token:        " + token + "   (give this to the user; it is not stored anywhere)");
        out.println("token_sha256: " + hash);
        return Main.OK;
    }

    static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }
}
