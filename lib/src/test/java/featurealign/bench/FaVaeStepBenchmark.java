package featurealign.bench;

import featurealign.align.AlignmentOptions;
import featurealign.nn.Architecture;
import featurealign.train.Adam;
import featurealign.train.FaVaeEncoderStep;
import featurealign.train.Noise;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Median time of one full FA-VAE encoder step (forward, alignment, backward, Adam) on the MNIST encoder at batch 128,
 * float32, after warm-up, and the process's peak RSS. Not a test: run it by hand
 * ({@code bench/run-kit FaVaeStepBenchmark [iterations] [gcEvery]}).
 */
public final class FaVaeStepBenchmark {
    public static void main(String[] args) throws Exception {
        int iterations = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        int gcEvery = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        int batch = 128;
        long t0 = System.nanoTime();
        FaVaeEncoderStep step = new FaVaeEncoderStep(Architecture.MNIST, AlignmentOptions.reference(), DataType.FLOAT, 1, true);
        Adam adam = new Adam(1e-4, 0.5, 0.999, 1e-8);
        Noise noise = new Noise(1);
        INDArray x = noise.uniform(DataType.FLOAT, batch, 1, 28, 28).muli(0.98).addi(0.01);
        INDArray y = Nd4j.zeros(DataType.FLOAT, batch, 10);
        for (int i = 0; i < batch; i++) y.putScalar(i, i % 10, 1f);
        double build = (System.nanoTime() - t0) / 1e6;
        long t1 = System.nanoTime();
        step.run(x, y, noise.gaussian(DataType.FLOAT, batch, 128), noise.uniform(DataType.FLOAT, batch), null, adam);
        double first = (System.nanoTime() - t1) / 1e6;
        System.out.printf("graph build + init %.0f ms, first step %.0f ms, total %.0f ms%n", build, first, build + first);
        for (int i = 0; i < 2; i++) step.run(x, y, noise.gaussian(DataType.FLOAT, batch, 128), noise.uniform(DataType.FLOAT, batch), null, adam);
        double[] ms = new double[iterations];
        for (int i = 0; i < iterations; i++) {
            long s = System.nanoTime();
            var r = step.run(x, y, noise.gaussian(DataType.FLOAT, batch, 128), noise.uniform(DataType.FLOAT, batch), null, adam);
            if (gcEvery > 0 && (i + 1) % gcEvery == 0) System.gc();
            ms[i] = (System.nanoTime() - s) / 1e6;
            System.out.printf("step %d: %.0f ms (loss %.1f)%n", i, ms[i], r.loss());
        }
        double[] sorted = ms.clone();
        Arrays.sort(sorted);
        double median = iterations % 2 == 1 ? sorted[iterations / 2] : (sorted[iterations / 2 - 1] + sorted[iterations / 2]) / 2;
        System.out.printf("fa_vae step: median %.0f ms over %d steps (batch %d, float32, gc every %d); peak RSS %.0f MB%n",
                median, iterations, batch, gcEvery, peakRssMb());
    }

    /** VmHWM from /proc/self/status (Linux), in MB; NaN elsewhere. */
    static double peakRssMb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("\\D+", "")) / 1024.0;
            }
        } catch (Exception ignored) {
            // not Linux
        }
        return Double.NaN;
    }
}
