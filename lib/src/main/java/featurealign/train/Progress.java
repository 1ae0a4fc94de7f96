package featurealign.train;

import java.io.PrintStream;
import java.util.Locale;

/** Training progress: a report per step and a listener that prints a one-line summary for terminals and notebooks. */
public final class Progress {
    private Progress() {}

    /**
     * @param step           steps done (1-based)
     * @param totalSteps     steps the run will make
     * @param epoch          epoch of this step (0-based)
     * @param losses         this step's losses
     * @param stepsPerSecond mean rate over the current session's steps
     * @param etaSeconds     estimated seconds to finish
     * @param ganActive      whether this step trained the generator and discriminator
     * @param evaluation     the held-out evaluation made after this step ({@link History#HELD_OUT} keys), or empty
     */
    public record Report(long step, long totalSteps, int epoch, FaModel.StepLosses losses, double stepsPerSecond,
                         double etaSeconds, boolean ganActive, java.util.Map<String, Double> evaluation) {

        public Report {
            evaluation = evaluation == null ? java.util.Map.of() : java.util.Map.copyOf(evaluation);
        }

        /** "step 120/900 (13%) · 1.42 steps/s · ETA 9m10s · RL 3021.5 · βKL 210.0 · G 55.2 · D 40.1/38.2" */
        public String line() {
            StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "step %d/%d (%d%%) · %.2f steps/s · ETA %s · RL %.1f · βKL %.1f",
                    step, totalSteps, totalSteps == 0 ? 100 : 100 * step / totalSteps, stepsPerSecond,
                    duration(etaSeconds), losses.reconstructionLoss(), losses.klWeighted()));
            if (ganActive) {
                b.append(String.format(Locale.ROOT, " · G %.1f · D %.1f/%.1f", losses.generatorLoss(),
                        losses.discriminatorReal(), losses.discriminatorFake()));
            }
            if (!evaluation.isEmpty()) b.append(" | held-out: ").append(heldOut(evaluation));
            return b.toString();
        }
    }

    /** "PSNR 14.20 dB · judge rec 63.1% · FA 40.2%" for the values present. */
    public static String heldOut(java.util.Map<String, Double> v) {
        java.util.List<String> parts = new java.util.ArrayList<>();
        Double x;
        if ((x = v.get(History.TEST_PSNR)) != null && !x.isNaN()) parts.add(String.format(Locale.ROOT, "PSNR %.2f dB", x));
        String[][] pct = {{History.TEST_JUDGE_RECONSTRUCTIONS, "judge rec"}, {History.TEST_JUDGE_FA, "FA"},
                {History.TEST_JUDGE_GAN, "GAN"}, {History.TEST_SPREAD_FA, "spread FA"}, {History.TEST_SPREAD_GAN, "spread GAN"}};
        for (String[] p : pct) {
            if ((x = v.get(p[0])) != null && !x.isNaN()) {
                parts.add(p[0].startsWith("test_spread") ? String.format(Locale.ROOT, "%s %.2f", p[1], x)
                        : String.format(Locale.ROOT, "%s %.1f%%", p[1], 100 * x));
            }
        }
        return String.join(" · ", parts);
    }

    /** Receives a report after every step. */
    @FunctionalInterface
    public interface Listener {
        void onStep(Report report);
    }

    /** Prints a report line every {@code everySteps} steps, after every held-out evaluation and at the last step. */
    public static Listener printer(PrintStream out, int everySteps) {
        if (everySteps < 1) throw new IllegalArgumentException("printer: everySteps must be >= 1, got " + everySteps);
        return r -> {
            if (r.step() % everySteps == 0 || r.step() == r.totalSteps() || !r.evaluation().isEmpty()) {
                out.println(r.line());
                out.flush();
            }
        };
    }

    /** Prints roughly {@code lines} evenly spaced lines over the run (at least every step for short runs). */
    public static Listener evenly(PrintStream out, long totalSteps, int lines) {
        return printer(out, (int) Math.max(1, totalSteps / Math.max(1, lines)));
    }

    /** "1h02m", "9m10s", "42s". */
    public static String duration(double seconds) {
        if (!Double.isFinite(seconds)) return "?";
        long s = Math.round(seconds);
        if (s >= 3600) return String.format(Locale.ROOT, "%dh%02dm", s / 3600, (s % 3600) / 60);
        if (s >= 60) return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
        return s + "s";
    }
}
