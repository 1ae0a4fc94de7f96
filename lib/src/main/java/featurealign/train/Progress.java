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
     */
    public record Report(long step, long totalSteps, int epoch, FaModel.StepLosses losses, double stepsPerSecond,
                         double etaSeconds, boolean ganActive) {

        /** "step 120/900 (13%) · 1.42 steps/s · ETA 9m10s · RL 3021.5 · βKL 210.0 · G 55.2 · D 40.1/38.2" */
        public String line() {
            StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "step %d/%d (%d%%) · %.2f steps/s · ETA %s · RL %.1f · βKL %.1f",
                    step, totalSteps, totalSteps == 0 ? 100 : 100 * step / totalSteps, stepsPerSecond,
                    duration(etaSeconds), losses.reconstructionLoss(), losses.klWeighted()));
            if (ganActive) {
                b.append(String.format(Locale.ROOT, " · G %.1f · D %.1f/%.1f", losses.generatorLoss(),
                        losses.discriminatorReal(), losses.discriminatorFake()));
            }
            return b.toString();
        }
    }

    /** Receives a report after every step. */
    @FunctionalInterface
    public interface Listener {
        void onStep(Report report);
    }

    /** Prints a report line every {@code everySteps} steps and at the last step. */
    public static Listener printer(PrintStream out, int everySteps) {
        if (everySteps < 1) throw new IllegalArgumentException("printer: everySteps must be >= 1, got " + everySteps);
        return r -> {
            if (r.step() % everySteps == 0 || r.step() == r.totalSteps()) {
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
