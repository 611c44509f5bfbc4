package io.arraypki.operator.reconciler;

import io.arraypki.operator.api.RotationPhase;
import io.arraypki.operator.api.RotationReason;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The CA rotation protocol of DESIGN.md section 6 as a pure function: from what the array's
 * status says and what the caches show, the next step. PublishingTrust (the new CA joins every
 * bundle, then the propagation delay), Prepared (a time-based renewal's next CA, trusted by
 * everyone, waits for its activation time inside a renewal window), Resigning (members follow
 * the new signing CA), Retiring (after the overlap the old CAs leave the bundles and their keys
 * are deleted), Idle.
 */
public final class RotationPlanner {
  static final int MAX_TRUSTED = 3;
  /** Messages and status.rotation.waitingFor name at most this many members. */
  static final int MEMBERS_NAMED = 10;

  private RotationPlanner() {}

  /**
   * What the planner sees. {@code trusted} is what status records plus every generation an
   * issued leaf is signed by (consumers are the truth, status a cache of it, as in Strimzi);
   * {@code highestGenerationSeen} is the highest generation anything remembers (status, leaves,
   * the revocation ledger), so that a number is never given to two CAs.
   */
  /**
   * {@code activeCaRenewalTime} is when the signing CA's time-based renewal activates its
   * successor (inside a renewal window when there are windows); {@code caPreparationTime} when that
   * successor is made and published in every bundle, ahead of it (null: made at activation);
   * {@code caRenewalOutsideWindow} says why the activation falls outside every window (no window
   * opens before the last safe moment), null when it does not.
   */
  public record Facts(
      long active,
      String activePrimary,
      List<Long> trusted,
      Phase phase,
      Map<Long, String> generations,
      String desiredPrimary,
      boolean primaryOk,
      boolean externalCa,
      boolean issuerChanged,
      String renewCaToken,
      String handledCaToken,
      Instant activeCaRenewalTime,
      Instant caPreparationTime,
      String caRenewalOutsideWindow,
      int participants,
      int trustingPending,
      int onActive,
      Set<Long> generationsWithLeaves,
      long highestGenerationSeen,
      Duration trustPropagationDelay,
      Duration overlap,
      Confirmations confirmations,
      Duration confirmationTimeout,
      Instant now) {}

  /**
   * What the members that confirm on their trust Leases have loaded (DESIGN.md section 6,
   * "Confirmed propagation"), by name: those that do not yet trust the pending CA, those that do
   * not yet serve their current certificate; and whether any member (or the service
   * certificate) never confirms, so that only a timer can tell when it has its files.
   */
  public record Confirmations(List<String> notTrustingPending, List<String> notServingActive, boolean anySilent) {
    /** Nobody confirms: every wait is the timer's. */
    public static final Confirmations NONE = new Confirmations(List.of(), List.of(), true);
  }

  /** The persisted rotation state (status.rotation). */
  public record Phase(RotationPhase phase, RotationReason reason, Long toGeneration, Instant startedAt,
      Instant phaseEndsAt, String token, Instant waitingSince) {
    static final Phase IDLE = new Phase(RotationPhase.Idle, null, null, null, null, null, null);

    public Phase(RotationPhase phase, RotationReason reason, Long toGeneration, Instant startedAt, Instant phaseEndsAt,
        String token) {
      this(phase, reason, toGeneration, startedAt, phaseEndsAt, token, null);
    }

    Phase waiting(Instant since, Instant endsAt) {
      return new Phase(phase, reason, toGeneration, startedAt, endsAt, token, since);
    }
  }

  /** What to do: a CA generation to create, generations to delete, and the new state. */
  public record Plan(
      Optional<NewGeneration> create,
      Set<Long> delete,
      long active,
      String activePrimary,
      List<Long> trusted,
      Phase phase,
      String handledCaToken,
      Optional<Instant> wakeAt,
      List<Step> events,
      List<String> waitingFor) {

    Plan(Optional<NewGeneration> create, Set<Long> delete, long active, String activePrimary, List<Long> trusted,
        Phase phase, String handledCaToken, Optional<Instant> wakeAt, List<Step> events) {
      this(create, delete, active, activePrimary, trusted, phase, handledCaToken, wakeAt, events, List.of());
    }
  }

  /**
   * When a phase's wait is over: after {@code delay} (members that never confirm get the timer),
   * and once every confirming member has confirmed, or {@code timeout} after the wait began
   * (then those still silent are named), but never after {@code limit}.
   */
  record Gate(Instant endsAt, List<String> waiting, boolean open) {
    static Gate of(Instant since, Duration delay, List<String> waiting, Duration timeout, Instant limit, Instant now) {
      Instant delayEnds = since.plus(delay);
      Instant confirmedEnds = waiting.isEmpty() ? since : since.plus(timeout);
      Instant ends = delayEnds.isAfter(confirmedEnds) ? delayEnds : confirmedEnds;
      if (limit != null && limit.isBefore(ends)) {
        ends = limit;
      }
      return new Gate(ends, waiting, !now.isBefore(ends));
    }

    boolean timedOut() {
      return open && !waiting.isEmpty();
    }
  }

  /** What a rotation step is, as its Event reason and metric label. */
  public enum StepKind {
    PublishingTrust,
    /** A time-based renewal's next CA is trusted by every member and waits for its activation time. */
    Prepared,
    Resigning,
    Retiring,
    RotationComplete,
    RotationAbandoned,
    /** Members that confirm did not within confirmationTimeout: the rotation went on without them (a Warning). */
    ConfirmationTimedOut,
    /** No renewal window opened before the last safe moment: the CA activated outside them (a Warning). */
    RenewalOutsideWindow
  }

  /** A step of the rotation to announce. */
  public record Step(StepKind kind, String message) {}

  public record NewGeneration(long generation, String primary, RotationReason reason) {}

  public static Plan plan(Facts given) {
    Facts f = trustingWhatLeavesUse(given);
    Phase phase = f.phase() == null ? Phase.IDLE : f.phase();
    Optional<RotationReason> trigger = trigger(f);
    return switch (phase.phase()) {
      case Idle -> idle(f, trigger);
      case PublishingTrust -> publishing(f, phase, trigger);
      case Prepared -> prepared(f, phase, trigger);
      case Resigning -> resigning(f, phase, trigger);
      case Retiring -> retiring(f, phase, trigger);
    };
  }

  /**
   * A generation an issued leaf is signed by stays trusted whatever status says: status can be
   * lost (a restore from a backup, a write lost in a crash), the leaves cannot be wrong about
   * who signed them.
   */
  private static Facts trustingWhatLeavesUse(Facts f) {
    List<Long> trusted = new ArrayList<>(f.trusted());
    f.generationsWithLeaves().stream()
        .filter(g -> f.generations().containsKey(g) && !trusted.contains(g))
        .forEach(trusted::add);
    if (trusted.size() == f.trusted().size()) {
      return f;
    }
    trusted.sort(Long::compare);
    return new Facts(f.active(), f.activePrimary(), List.copyOf(trusted), f.phase(), f.generations(),
        f.desiredPrimary(), f.primaryOk(), f.externalCa(), f.issuerChanged(), f.renewCaToken(), f.handledCaToken(),
        f.activeCaRenewalTime(), f.caPreparationTime(), f.caRenewalOutsideWindow(), f.participants(), f.trustingPending(), f.onActive(), f.generationsWithLeaves(),
        f.highestGenerationSeen(), f.trustPropagationDelay(), f.overlap(), f.confirmations(), f.confirmationTimeout(),
        f.now());
  }

  /** Why a new CA generation is wanted now, if it is. */
  static Optional<RotationReason> trigger(Facts f) {
    if (!f.primaryOk() || f.active() == 0) {
      return Optional.empty();
    }
    if (f.externalCa()) {
      // A brought CA changes when its Secret does; a new primary, a renew-ca or an aging CA
      // cannot make the user's CA anew.
      return f.issuerChanged() ? Optional.of(RotationReason.IssuerChanged) : Optional.empty();
    }
    if (!Objects.equals(f.desiredPrimary(), f.activePrimary())) {
      return Optional.of(RotationReason.PrimaryChanged);
    }
    if (f.renewCaToken() != null && !f.renewCaToken().isEmpty() && !f.renewCaToken().equals(f.handledCaToken())) {
      return Optional.of(RotationReason.Requested);
    }
    Instant renewalStarts = renewalStarts(f);
    if (renewalStarts != null && !f.now().isBefore(renewalStarts)) {
      return Optional.of(RotationReason.Renewal);
    }
    return Optional.empty();
  }

  /** When a time-based renewal begins: its next CA's preparation, or its activation when that is sooner. */
  private static Instant renewalStarts(Facts f) {
    Instant activation = f.activeCaRenewalTime();
    Instant preparation = f.caPreparationTime();
    if (preparation == null || activation == null) {
      return activation;
    }
    return preparation.isBefore(activation) ? preparation : activation;
  }

  private static Plan idle(Facts f, Optional<RotationReason> trigger) {
    Set<Long> orphans = new TreeSet<>(f.generations().keySet());
    orphans.removeAll(f.trusted());
    orphans.remove(f.active());
    orphans.removeAll(f.generationsWithLeaves()); // never delete what a leaf is signed by
    Optional<Long> stillSigning = f.trusted().stream()
        .filter(g -> g != f.active() && f.generationsWithLeaves().contains(g)).findFirst();
    if (trigger.isEmpty() && stillSigning.isPresent()) {
      // Idle with leaves on an older CA: a rotation whose status was lost. Finish it.
      Phase resigning = new Phase(RotationPhase.Resigning, RotationReason.Resumed, f.active(), f.now(), null, null);
      return new Plan(Optional.empty(), orphans, f.active(), f.activePrimary(), f.trusted(), resigning,
          f.handledCaToken(), Optional.empty(), List.of(new Step(StepKind.Resigning,
              "members still hold certificates of CA generation "
              + stillSigning.get() + "; it stays trusted while they are re-signed by generation " + f.active())));
    }
    List<Long> leafless = f.trusted().stream()
        .filter(g -> g != f.active() && !f.generationsWithLeaves().contains(g)).toList();
    if (trigger.isEmpty() && !leafless.isEmpty()) {
      // Idle, trusting an older CA that no leaf is signed by: a rotation that ended while the
      // cache still showed a leaf of that CA, re-signed in the same moment (a client certificate
      // after the peer ones), kept it trusted, and nothing else would ever retire it. It retires
      // as a rotation's old CA does: after the overlap (or the members' confirmations), so that a
      // pod still presenting that leaf until the kubelet delivers its new one is not refused.
      return beginRetiring(f, new Phase(RotationPhase.Retiring, RotationReason.Resumed, f.active(), f.now(), null,
          null), orphans, gate -> "no member is signed by CA generation(s) " + leafless
              + " any more; they stay trusted until " + gate.endsAt());
    }
    if (trigger.isEmpty()) {
      return new Plan(Optional.empty(), orphans, f.active(), f.activePrimary(), f.trusted(), Phase.IDLE,
          f.handledCaToken(), renewalWake(f), List.of());
    }
    // A generation created by a start whose status write was lost is taken up, not made twice.
    Optional<Long> adoptable = orphans.stream()
        .filter(g -> g > f.active() && Objects.equals(f.generations().get(g), f.desiredPrimary()))
        .max(Long::compare);
    adoptable.ifPresent(orphans::remove);
    return start(f, trigger.get(), f.trusted(), orphans, adoptable, "");
  }

  private static Plan publishing(Facts f, Phase phase, Optional<RotationReason> trigger) {
    long pending = phase.toGeneration();
    String pendingPrimary = f.generations().get(pending);
    Set<Long> delete = new TreeSet<>();
    List<Long> trusted = new ArrayList<>(f.trusted());
    if (pendingPrimary == null) {
      // The pending CA's Secret is gone: start over.
      trusted.remove(pending);
      return trigger.map(r -> start(f, r, trusted, delete, Optional.empty(), "pending CA generation lost; "))
          .orElseGet(() -> idlePlan(f, trusted, delete));
    }
    boolean wanted = f.externalCa() || Objects.equals(pendingPrimary, f.desiredPrimary());
    // A primary that cannot act as the CA (offline, not master-capable, possibly in a write the
    // cache had not shown when this rotation began) replaces nothing: a new primary's CA is
    // dropped before it signs anything; the same primary's renewal waits, published, below.
    boolean primaryUnfit = !f.externalCa() && !f.primaryOk();
    if (!wanted || (primaryUnfit && !Objects.equals(pendingPrimary, f.activePrimary()))) {
      trusted.remove(pending);
      delete.add(pending);
      if (trigger.isEmpty()) {
        String why = Objects.equals(f.desiredPrimary(), f.activePrimary()) ? "primary is " + f.activePrimary()
            + " again" : "primary " + f.desiredPrimary() + " cannot act as the CA";
        return withEvent(idlePlan(f, trusted, delete),
            new Step(StepKind.RotationAbandoned, why + "; CA generation " + pending + " dropped"));
      }
      return start(f, trigger.get(), trusted, delete, Optional.empty(),
          "superseded CA generation " + pending + "; ");
    }
    if (primaryUnfit) {
      return keep(f, phase, Optional.empty()); // it activates once its primary can act as the CA again
    }
    if (f.trustingPending() < f.participants()) {
      // still writing bundles (or a member joined): the wait begins when every Secret holds it
      return keep(f, phase.waiting(null, null), Optional.empty());
    }
    // Every Secret holds the new CA: from now on the members load it. Those that confirm are
    // waited for (up to the timeout), those that never do get the propagation delay.
    Instant since = waitingSince(phase, f.trustPropagationDelay(), f.now());
    Confirmations c = f.confirmations();
    Gate gate = Gate.of(since, c.anySilent() ? f.trustPropagationDelay() : Duration.ZERO, c.notTrustingPending(),
        f.confirmationTimeout(), null, f.now());
    Phase waiting = phase.waiting(since, gate.endsAt());
    if (!gate.open()) {
      return keep(f, waiting, Optional.of(gate.endsAt()), gate.waiting());
    }
    Plan next = preparedAhead(f, waiting) ? prepare(f, waiting, pending) : activate(f, waiting, pending, pendingPrimary);
    if (next.phase().phase() == RotationPhase.Resigning && waiting.reason() == RotationReason.Renewal
        && f.caRenewalOutsideWindow() != null) {
      next = withEventFirst(next, new Step(StepKind.RenewalOutsideWindow, "CA generation " + pending
          + " activated outside every renewal window: " + f.caRenewalOutsideWindow()));
    }
    return gate.timedOut() ? withEventFirst(next, timedOut(gate, "trust CA generation " + pending, f)) : next;
  }

  /** A time-based renewal whose next CA is trusted everywhere before its activation time: it waits, prepared. */
  private static boolean preparedAhead(Facts f, Phase phase) {
    return phase.reason() == RotationReason.Renewal && f.activeCaRenewalTime() != null
        && f.now().isBefore(f.activeCaRenewalTime());
  }

  private static Plan prepare(Facts f, Phase phase, long pending) {
    Phase prepared = new Phase(RotationPhase.Prepared, phase.reason(), pending, phase.startedAt(),
        f.activeCaRenewalTime(), phase.token());
    return new Plan(Optional.empty(), Set.of(), f.active(), f.activePrimary(), f.trusted(), prepared,
        f.handledCaToken(), Optional.of(f.activeCaRenewalTime()), List.of(new Step(StepKind.Prepared,
            "CA generation " + pending + " is in every trust bundle; it starts signing at " + f.activeCaRenewalTime()
            + (f.caRenewalOutsideWindow() == null ? "" : " (" + f.caRenewalOutsideWindow() + ")"))), List.of());
  }

  /**
   * A prepared CA: every member trusts it already. It activates at the renewal time (no trust
   * wait then), at once for a renew-ca request, and is dropped for a new primary (whose own CA
   * is made and published, as for any primary change) or a brought CA.
   */
  private static Plan prepared(Facts f, Phase phase, Optional<RotationReason> trigger) {
    long pending = phase.toGeneration();
    String pendingPrimary = f.generations().get(pending);
    List<Long> trusted = new ArrayList<>(f.trusted());
    Set<Long> delete = new TreeSet<>();
    if (pendingPrimary == null) {
      trusted.remove(pending);
      return trigger.map(r -> start(f, r, trusted, delete, Optional.empty(), "prepared CA generation lost; "))
          .orElseGet(() -> idlePlan(f, trusted, delete));
    }
    if (f.externalCa() || !Objects.equals(pendingPrimary, f.desiredPrimary())) {
      trusted.remove(pending);
      delete.add(pending);
      if (trigger.isEmpty()) {
        return withEvent(idlePlan(f, trusted, delete), new Step(StepKind.RotationAbandoned,
            "prepared CA generation " + pending + " dropped"));
      }
      return start(f, trigger.get(), trusted, delete, Optional.empty(),
          "prepared CA generation " + pending + " dropped for the new primary; ");
    }
    if (!f.externalCa() && !f.primaryOk()) {
      return keep(f, phase, Optional.empty()); // it activates once its primary can act as the CA again
    }
    if (f.trustingPending() < f.participants()) {
      // a member joined: it must hold (and load) the prepared CA before anyone presents a leaf of it
      return keep(f, new Phase(RotationPhase.PublishingTrust, phase.reason(), pending, phase.startedAt(), null,
          phase.token()), Optional.empty());
    }
    boolean requested = f.renewCaToken() != null && !f.renewCaToken().isEmpty()
        && !f.renewCaToken().equals(f.handledCaToken());
    if (requested) {
      // renew-ca is what one reaches for on a suspected key compromise: a key made months ago
      // beside the active one is no answer; a fresh CA is made and published
      trusted.remove(pending);
      delete.add(pending);
      return start(f, RotationReason.Requested, trusted, delete, Optional.empty(),
          "prepared CA generation " + pending + " dropped for the renew-ca request; ");
    }
    if (f.now().isBefore(f.activeCaRenewalTime())) {
      // the activation time moves when a window passed unused (the operator was down): say the new one
      Phase waiting = new Phase(RotationPhase.Prepared, phase.reason(), pending, phase.startedAt(),
          f.activeCaRenewalTime(), phase.token(), phase.waitingSince());
      return keep(f, waiting, Optional.of(f.activeCaRenewalTime()));
    }
    Plan activated = activate(f, phase, pending, pendingPrimary);
    return f.caRenewalOutsideWindow() == null ? activated : withEventFirst(activated,
        new Step(StepKind.RenewalOutsideWindow, "CA generation " + pending + " activated outside every renewal window: "
            + f.caRenewalOutsideWindow()));
  }

  /**
   * When the current phase's wait began; for a status written before waits were recorded, from
   * the end it recorded (the wait was then always {@code wait} long).
   */
  private static Instant waitingSince(Phase phase, Duration wait, Instant now) {
    if (phase.waitingSince() != null) {
      return phase.waitingSince();
    }
    return phase.phaseEndsAt() != null ? phase.phaseEndsAt().minus(wait) : now;
  }

  private static Step timedOut(Gate gate, String what, Facts f) {
    return new Step(StepKind.ConfirmationTimedOut, gate.waiting().size() + " member(s) did not confirm that they "
        + what + " within confirmationTimeout " + io.arraypki.operator.pki.GoDuration.format(f.confirmationTimeout())
        + ": " + named(gate.waiting()) + "; the rotation goes on without them");
  }

  /** "a, b, c" for at most {@link #MEMBERS_NAMED} members, then "and N more". */
  static String named(List<String> members) {
    String listed = String.join(", ", members.stream().limit(MEMBERS_NAMED).toList());
    return members.size() > MEMBERS_NAMED ? listed + " and " + (members.size() - MEMBERS_NAMED) + " more" : listed;
  }

  private static Plan activate(Facts f, Phase phase, long pending, String pendingPrimary) {
    Phase resigning = new Phase(RotationPhase.Resigning, phase.reason(), pending, phase.startedAt(), null,
        phase.token());
    return new Plan(Optional.empty(), Set.of(), pending, pendingPrimary, f.trusted(), resigning, f.handledCaToken(),
        Optional.empty(), List.of(new Step(StepKind.Resigning, "CA generation " + pending + " signs now; re-signing "
            + f.participants() + " members")), List.of());
  }

  private static Plan resigning(Facts f, Phase phase, Optional<RotationReason> trigger) {
    if (interrupts(f, trigger)) {
      Plan started = start(f, trigger.get(), f.trusted(), new TreeSet<>(), Optional.empty(), "");
      if (started.create().isPresent()) {
        return started;
      }
    }
    if (f.onActive() < f.participants()) {
      return keep(f, phase, Optional.empty()); // re-signing: the operator's work, nobody is waited for
    }
    boolean confirming = !f.confirmations().anySilent();
    return beginRetiring(f, phase, Set.of(), gate -> "every member is signed by CA generation " + f.active()
        + (confirming ? "; the old CAs stay trusted until every member confirms it serves its new certificate,"
            + " at the latest until " + gate.endsAt() : "; the old CAs stay trusted until " + gate.endsAt()));
  }

  /**
   * Retiring from now, behind its gate, as {@code from}'s rotation (reason, generation, start,
   * token); the old CAs stay trusted until the gate opens.
   */
  private static Plan beginRetiring(Facts f, Phase from, Set<Long> delete,
      java.util.function.Function<Gate, String> announcement) {
    Gate gate = retiringGate(f, f.now());
    Phase retiring = new Phase(RotationPhase.Retiring, from.reason(), from.toGeneration(), from.startedAt(),
        gate.endsAt(), from.token(), f.now());
    return new Plan(Optional.empty(), delete, f.active(), f.activePrimary(), f.trusted(), retiring,
        f.handledCaToken(), Optional.of(gate.endsAt()), List.of(new Step(StepKind.Retiring, announcement.apply(gate))),
        gate.waiting());
  }

  /**
   * Whether a new rotation supersedes the one re-signing or retiring: a new primary, a request, a
   * changed issuer do; a time-based renewal whose preparation time has come (a CA that has just
   * begun signing, with a short life) waits until this rotation is over, rather than pile a
   * third CA on members still moving, unless its activation time has come too.
   */
  private static boolean interrupts(Facts f, Optional<RotationReason> trigger) {
    if (trigger.isEmpty()) {
      return false;
    }
    // a renewal whose activation time has come (the CA nears its end) does not wait: as before
    // prepared CAs, it supersedes the rotation in progress
    return trigger.get() != RotationReason.Renewal
        || (f.activeCaRenewalTime() != null && !f.now().isBefore(f.activeCaRenewalTime()));
  }

  /**
   * Retiring waits for every confirming member to serve its certificate of the new CA (up to the
   * confirmation timeout), and, when a member never confirms, for the whole overlap; never
   * longer than the overlap.
   */
  private static Gate retiringGate(Facts f, Instant since) {
    Confirmations c = f.confirmations();
    return Gate.of(since, c.anySilent() ? f.overlap() : Duration.ZERO, c.notServingActive(), f.confirmationTimeout(),
        since.plus(f.overlap()), f.now());
  }

  private static Plan retiring(Facts f, Phase phase, Optional<RotationReason> trigger) {
    if (interrupts(f, trigger)) {
      Plan started = start(f, trigger.get(), f.trusted(), new TreeSet<>(), Optional.empty(), "");
      if (started.create().isPresent()) {
        return started;
      }
    }
    Gate gate = retiringGate(f, waitingSince(phase, f.overlap(), f.now()));
    if (!gate.open()) {
      return keep(f, phase.waiting(waitingSince(phase, f.overlap(), f.now()), gate.endsAt()),
          Optional.of(gate.endsAt()), gate.waiting());
    }
    Set<Long> retired = new TreeSet<>(f.generations().keySet());
    retired.remove(f.active());
    retired.removeAll(f.generationsWithLeaves());
    List<Long> stillTrusted = f.trusted().stream()
        .filter(g -> g == f.active() || f.generationsWithLeaves().contains(g)).toList();
    Plan idle = idlePlan(f, stillTrusted, retired);
    Plan complete = withEvent(idle, new Step(StepKind.RotationComplete, "CA generation " + f.active()
        + " is the only trusted CA; retired generations " + retired));
    return gate.timedOut()
        ? withEventFirst(complete, timedOut(gate, "serve a certificate of CA generation " + f.active(), f)) : complete;
  }

  /**
   * Starts a rotation to a new generation (or an adopted one). Trusted CAs that no member is
   * signed by (other than the signing one) make room first; past three CAs it waits.
   */
  private static Plan start(Facts f, RotationReason reason, List<Long> trustedNow, Set<Long> delete,
      Optional<Long> adopted, String note) {
    long next = adopted.orElseGet(() -> Math.max(f.highestGenerationSeen(), Math.max(
        f.generations().keySet().stream().max(Long::compare).orElse(0L),
        trustedNow.stream().max(Long::compare).orElse(0L))) + 1);
    List<Long> trusted = new ArrayList<>(trustedNow);
    Set<Long> deletions = new TreeSet<>(delete);
    if (trusted.size() + 1 > MAX_TRUSTED) {
      for (Long g : List.copyOf(trusted)) {
        if (trusted.size() + 1 <= MAX_TRUSTED) {
          break;
        }
        if (g != f.active() && !f.generationsWithLeaves().contains(g)) {
          trusted.remove(g);
          deletions.add(g);
        }
      }
    }
    if (trusted.size() + 1 > MAX_TRUSTED) {
      // Members still hold certificates of every trusted CA: finish moving them first.
      return new Plan(Optional.empty(), Set.of(), f.active(), f.activePrimary(), f.trusted(),
          f.phase() == null ? Phase.IDLE : f.phase(), f.handledCaToken(), Optional.empty(), List.of());
    }
    trusted.add(next);
    String primary = f.externalCa() ? f.activePrimary() : f.desiredPrimary();
    String token = reason == RotationReason.Requested ? f.renewCaToken() : f.handledCaToken();
    Phase publishing = new Phase(RotationPhase.PublishingTrust, reason, next, f.now(), null, token);
    Optional<NewGeneration> create = adopted.isPresent()
        ? Optional.empty() : Optional.of(new NewGeneration(next, primary, reason));
    return new Plan(create, deletions, f.active(), f.activePrimary(), trusted, publishing, token, Optional.empty(),
        List.of(new Step(StepKind.PublishingTrust, note + "CA generation " + next + " (" + reason + ", primary "
            + primary + ") added to every trust bundle")));
  }

  private static Plan keep(Facts f, Phase phase, Optional<Instant> wakeAt) {
    return keep(f, phase, wakeAt, List.of());
  }

  private static Plan keep(Facts f, Phase phase, Optional<Instant> wakeAt, List<String> waitingFor) {
    return new Plan(Optional.empty(), Set.of(), f.active(), f.activePrimary(), f.trusted(), phase,
        f.handledCaToken(), wakeAt, List.of(), waitingFor);
  }

  private static Plan withEventFirst(Plan p, Step first) {
    List<Step> events = new ArrayList<>();
    events.add(first);
    events.addAll(p.events());
    return new Plan(p.create(), p.delete(), p.active(), p.activePrimary(), p.trusted(), p.phase(),
        p.handledCaToken(), p.wakeAt(), List.copyOf(events), p.waitingFor());
  }

  private static Plan idlePlan(Facts f, List<Long> trusted, Set<Long> delete) {
    return new Plan(Optional.empty(), delete, f.active(), f.activePrimary(), trusted, Phase.IDLE,
        f.handledCaToken(), renewalWake(f), List.of());
  }

  private static Plan withEvent(Plan p, Step event) {
    return new Plan(p.create(), p.delete(), p.active(), p.activePrimary(), p.trusted(), p.phase(),
        p.handledCaToken(), p.wakeAt(), List.of(event));
  }

  /**
   * When a time-based renewal is to begin; none when it cannot (a brought CA, a primary that
   * cannot sign) or its time has passed without one starting: a past wake time would reconcile
   * the array every second.
   */
  private static Optional<Instant> renewalWake(Facts f) {
    if (f.externalCa() || !f.primaryOk()) {
      return Optional.empty();
    }
    return Optional.ofNullable(renewalStarts(f)).filter(t -> t.isAfter(f.now()));
  }
}
