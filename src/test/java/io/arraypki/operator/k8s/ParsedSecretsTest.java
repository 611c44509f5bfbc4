package io.arraypki.operator.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** The per-Secret parse cache: answers live as long as their Secrets, never a fixed number of them. */
class ParsedSecretsTest {
  private final AtomicInteger parses = new AtomicInteger();
  private final Function<Secret, String> parse = s -> {
    parses.incrementAndGet();
    return "parsed " + s.getMetadata().getName();
  };

  private static Secret secret(String name, String certificate) {
    return new SecretBuilder().withNewMetadata().withNamespace("ns").withName(name).endMetadata()
        .addToData(SecretData.TLS_CRT, Base64.getEncoder().encodeToString(certificate.getBytes())).build();
  }

  @Test
  void twentyThousandSecretsAreEachParsedOnceAcrossTwoReconcilesWhereAFixedSizeOfAboutEightThousandParsedAllAgain() {
    ParsedSecrets<String> cache = new ParsedSecrets<>();
    List<Secret> informer = new ArrayList<>();
    for (int i = 0; i < 20_000; i++) {
      informer.add(secret("member-" + i + "-peer-tls", "certificate " + i));
    }
    informer.forEach(s -> cache.get(s, parse));
    informer.forEach(s -> cache.get(s, parse));
    assertThat(parses).hasValue(20_000);
    assertThat(cache.size()).isEqualTo(20_000);
  }

  @Test
  void anAnswerIsDroppedOnceTheSecretItWasReadFromIsNoLongerHeldByTheInformer() throws InterruptedException {
    ParsedSecrets<String> cache = new ParsedSecrets<>();
    Secret generation = secret("array-ca-g1", "a CA and its key");
    Secret kept = secret("array-ca-g2", "another CA and its key");
    cache.get(generation, parse);
    cache.get(kept, parse);
    assertThat(cache.size()).isEqualTo(2);

    WeakReference<Secret> deleted = new WeakReference<>(generation);
    generation = null; // the Secret was deleted: the informer let go of its object
    // the collector clears the object, then its reference reaches the cache's queue (another
    // thread does that): wait for both, within a bound
    long until = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
    while ((deleted.get() != null || cache.size() != 1) && System.nanoTime() < until) {
      System.gc();
      Thread.sleep(10);
    }
    assertThat(deleted.get()).as("collected").isNull();
    assertThat(cache.size()).as("only the answer of the Secret that still exists").isEqualTo(1);
    assertThat(cache.get(kept, parse)).isEqualTo("parsed array-ca-g2");
    assertThat(parses).as("the kept one is not parsed again").hasValue(2);
  }

  @Test
  void aNewContentIsParsedAgainAndTheSameContentInANewObjectIsNot() {
    ParsedSecrets<String> cache = new ParsedSecrets<>();
    Secret first = secret("m-peer-tls", "one");
    cache.get(first, parse);
    Secret relabelled = new SecretBuilder(first).editMetadata().addToLabels("x", "y").endMetadata().build();
    cache.get(relabelled, parse);
    assertThat(parses).as("a label changed, not the certificate").hasValue(1);
    cache.get(secret("m-peer-tls", "two"), parse);
    assertThat(parses).as("the certificate changed").hasValue(2);
  }

  @Test
  void whatTheOperatorWroteIsKnownWithoutParsingWhenTheInformersCopyArrives() {
    ParsedSecrets<String> cache = new ParsedSecrets<>();
    cache.remember(secret("m-peer-tls", "issued"), "known");
    for (int i = 0; i < 5; i++) {
      System.gc(); // the written object is held by the cache itself until its copy is asked about
    }
    assertThat(cache.get(secret("m-peer-tls", "issued"), parse)).isEqualTo("known");
    assertThat(parses).hasValue(0);
  }

  /**
   * JOSDK hands a reconcile its own short-lived copy of a Secret the operator just wrote; once
   * that copy is collected, the answer read through it must still serve the informer's copy (it
   * did not: every member's key was checked again, a fifth of the CPU of issuing). A cache kept
   * without released answers (a CA's key) still drops it.
   */
  @Test
  void anAnswerReadThroughAShortLivedCopyServesTheInformersCopyAfterTheCollectorTookIt()
      throws InterruptedException {
    ParsedSecrets<String> keeping = new ParsedSecrets<>(16, SecretData.TLS_CRT);
    ParsedSecrets<String> dropping = new ParsedSecrets<>(0, SecretData.TLS_CRT);
    Secret shortLived = secret("m-peer-tls", "issued");
    keeping.get(shortLived, parse);
    dropping.get(shortLived, parse);
    WeakReference<Secret> collected = new WeakReference<>(shortLived);
    shortLived = null;
    long until = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
    while ((collected.get() != null || dropping.size() != 0) && System.nanoTime() < until) {
      System.gc();
      Thread.sleep(10);
      keeping.size(); // takes in what the collector released
    }
    assertThat(collected.get()).as("collected").isNull();
    assertThat(dropping.size()).isZero();

    keeping.get(secret("m-peer-tls", "issued"), parse);
    assertThat(parses).as("parsed once by each cache, not again for the informer's copy").hasValue(2);
    dropping.get(secret("m-peer-tls", "issued"), parse);
    assertThat(parses).as("the cache that keeps nothing released parses it again").hasValue(3);
  }
}
