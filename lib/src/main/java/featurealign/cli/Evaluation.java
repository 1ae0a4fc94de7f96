package featurealign.cli;

import featurealign.eval.MetricsTable;
import featurealign.experiment.Experiment;

import java.io.IOException;
import java.io.PrintStream;

/** The metrics step of the command line: the same table the notebooks show, printed and saved as metrics.csv. */
final class Evaluation {
    private Evaluation() {}

    static void write(Experiment e, PrintStream out) throws IOException {
        long t0 = System.nanoTime();
        MetricsTable t = e.metrics(out);
        out.println(t);
        out.printf("metrics in %.1f s, written to %s%n", (System.nanoTime() - t0) / 1e9, e.outputDir().resolve("metrics.csv"));
    }
}
