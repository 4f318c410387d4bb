package io.crossover.executor.allreduce;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Mutual HMAC-SHA256 challenge-response over a fresh connection: each side sends a random nonce and
 * proves it holds the run's secret by answering the other's. The secret never travels.
 */
final class PeerAuth {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final int NONCE = 32;

  private PeerAuth() {}

  /**
   * Runs the exchange; returns the peer's claimed rank when it proved the secret.
   *
   * @throws AuthException when the peer's answer is wrong
   */
  static int handshake(
      DataInputStream in, DataOutputStream out, byte[] secret, int myRank, int expectedRank)
      throws IOException {
    byte[] mine = new byte[NONCE];
    RANDOM.nextBytes(mine);
    out.writeInt(myRank);
    out.write(mine);
    out.flush();
    int peerRank = in.readInt();
    byte[] theirs = new byte[NONCE];
    in.readFully(theirs);
    out.write(mac(secret, theirs, peerRank, myRank));
    out.flush();
    byte[] answer = new byte[32];
    in.readFully(answer);
    if (!MessageDigest.isEqual(answer, mac(secret, mine, myRank, peerRank))) {
      throw new AuthException(
          "peer claiming rank " + peerRank + " failed authentication (wrong secret)");
    }
    if (expectedRank >= 0 && peerRank != expectedRank) {
      throw new AuthException(
          "peer authenticated as rank " + peerRank + " but rank " + expectedRank + " was expected");
    }
    return peerRank;
  }

  /** HMAC(secret, nonce || challenger rank || responder rank): bound to this pair and direction. */
  private static byte[] mac(byte[] secret, byte[] nonce, int challenger, int responder) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret, "HmacSHA256"));
      mac.update(nonce);
      mac.update(
          new byte[] {
            (byte) (challenger >>> 24),
            (byte) (challenger >>> 16),
            (byte) (challenger >>> 8),
            (byte) challenger
          });
      mac.update(
          new byte[] {
            (byte) (responder >>> 24),
            (byte) (responder >>> 16),
            (byte) (responder >>> 8),
            (byte) responder
          });
      return mac.doFinal();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A peer that did not prove the secret. */
  static final class AuthException extends IOException {
    AuthException(String message) {
      super(message);
    }
  }
}
