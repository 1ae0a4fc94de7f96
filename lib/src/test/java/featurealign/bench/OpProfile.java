package featurealign.bench;

import featurealign.align.AlignmentOptions;
import featurealign.nn.Architecture;
import featurealign.train.Adam;
import featurealign.train.FaVaeEncoderStep;
import featurealign.train.Noise;
import featurealign.experiment.Inspection;
import org.nd4j.autodiff.listeners.At;
import org.nd4j.autodiff.listeners.BaseListener;
import org.nd4j.autodiff.listeners.Operation;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.dataset.api.MultiDataSet;

import java.util.*;

/**
 * Where the time of one FA-VAE encoder step goes: wall time per op type (summed over the step's ops) next to the
 * step's total, so the share spent outside ops (SameDiff's session bookkeeping) shows. Run by hand:
 * {@code java ... featurealign.bench.OpProfile [steps]}.
 */
public final class OpProfile {

    /** With -Dprofile.detail=true, rows are per op type and input shapes. */
    static final boolean DETAIL = Boolean.getBoolean("profile.detail");

    /** With -Dprofile.rss=true, also the process's resident memory (MB) after each op, reported at its maximum. */
    static final boolean RSS = Boolean.getBoolean("profile.rss");

    static long rssMb() {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
            }
        } catch (java.io.IOException e) { return -1; }
        return -1;
    }

    static final class Timer extends BaseListener {
        final Map<String, double[]> byOp = new TreeMap<>();
        long start;

        @Override public boolean isActive(Operation operation) { return true; }

        final Map<String, Long> rssAfter = new TreeMap<>();

        @Override public void preOpExecution(SameDiff sd, At at, SameDiffOp op, OpContext ctx) { start = System.nanoTime(); }

        @Override public void opExecution(SameDiff sd, At at, MultiDataSet batch, SameDiffOp op, OpContext ctx, INDArray[] outputs) {
            double ms = (System.nanoTime() - start) / 1e6;
            String key = op.getOp().opName();
            if (DETAIL) {
                StringBuilder b = new StringBuilder(key);
                for (int i = 0; ctx != null && i < ctx.numInputArguments(); i++) b.append(' ').append(Arrays.toString(ctx.getInputArray(i).shape()));
                key = b.toString();
            }
            if (RSS) rssAfter.merge(key, rssMb(), Math::max);
            double[] s = byOp.computeIfAbsent(key, k -> new double[2]);
            s[0] += ms;
            s[1]++;
        }
    }

    public static void main(String[] args) {
        int steps = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        if (args.length > 1 && args[1].equals("gan")) {
            gan(steps);
            return;
        }
        int batch = 128;
        boolean general = args.length > 1 && args[1].equals("general");
        AlignmentOptions opts = general ? AlignmentOptions.reference().withInitialProbe(AlignmentOptions.InitialProbe.GIVEN, 0)
                : AlignmentOptions.reference();
        FaVaeEncoderStep s = new FaVaeEncoderStep(Architecture.MNIST, opts, DataType.FLOAT, 1, true, new Adam(1e-4, 0.5, 0.999, 1e-8),
                featurealign.runtime.NativeMemory.withDefaults());
        INDArray r0 = general ? org.nd4j.linalg.factory.Nd4j.zeros(DataType.FLOAT, batch, 1, 28, 28) : null;
        Noise noise = new Noise(1);
        INDArray x = noise.uniform(DataType.FLOAT, batch, 1, 28, 28).muli(0.98).addi(0.01);
        INDArray y = Inspection.cyclingLabels(batch, 10, DataType.FLOAT);
        for (int i = 0; i < 3; i++) s.run(new FaVaeEncoderStep.Batch(x, y, noise.gaussian(DataType.FLOAT, batch, 128), noise.uniform(DataType.FLOAT, batch), r0));
        Timer t = new Timer();
        s.graph().setListeners(t);
        if (s.graph().getFunction("grad") != null) s.graph().getFunction("grad").setListeners(t);
        double total = 0;
        for (int i = 0; i < steps; i++) {
            long a = System.nanoTime();
            s.run(new FaVaeEncoderStep.Batch(x, y, noise.gaussian(DataType.FLOAT, batch, 128), noise.uniform(DataType.FLOAT, batch), r0));
            total += (System.nanoTime() - a) / 1e6;
            System.gc();
        }
        report(t, steps, total);
    }

    /** The same for one full FA-VAE-GAN iteration, over all four graphs. */
    static void gan(int steps) {
        var m = new featurealign.train.FaModel(featurealign.train.RunConfig.profile("paper", "mnist"));
        Noise noise = new Noise(1);
        INDArray x = noise.uniform(DataType.FLOAT, 128, 1, 28, 28);
        INDArray y = Inspection.cyclingLabels(128, 10, DataType.FLOAT);
        for (int i = 0; i < 2; i++) m.trainStep(x, y, true, noise, i + 1);
        Timer t = new Timer();
        for (SameDiff g : m.graphs()) {
            g.setListeners(t);
            if (g.getFunction("grad") != null) g.getFunction("grad").setListeners(t);
        }
        double total = 0;
        for (int i = 0; i < steps; i++) {
            long a = System.nanoTime();
            m.trainStep(x, y, true, noise, 10 + i);
            total += (System.nanoTime() - a) / 1e6;
            System.gc();
        }
        report(t, steps, total);
    }

    static void report(Timer t, int steps, double total) {
        double inOps = 0;
        List<Map.Entry<String, double[]>> rows = new ArrayList<>(t.byOp.entrySet());
        rows.sort((p, q) -> Double.compare(q.getValue()[0], p.getValue()[0]));
        System.out.printf("%-28s %10s %8s%n", "op", "ms/step", "calls");
        for (var e : rows) {
            inOps += e.getValue()[0];
            if (e.getValue()[0] / steps >= 1) System.out.printf("%-28s %10.1f %8.0f%n", e.getKey(), e.getValue()[0] / steps, e.getValue()[1] / steps);
        }
        if (RSS) t.rssAfter.entrySet().stream().sorted((p, q) -> Long.compare(q.getValue(), p.getValue())).limit(15)
                .forEach(e -> System.out.printf("rss %6d MB after %s%n", e.getValue(), e.getKey()));
        System.out.printf("step %.1f ms, inside ops %.1f ms, outside ops %.1f ms%n", total / steps, inOps / steps, (total - inOps) / steps);
    }
}
