package featurealign.train;

import featurealign.data.ImageSet;
import featurealign.nn.Architecture;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code CLASS_GAUSSIAN} sampling prior (setting {@code sampling.prior}): one diagonal Gaussian per class, fitted
 * after training to the posterior means μ(x) of training images (ex-post density estimation, as in Ghosh et al.,
 * arXiv 1903.12436). A sample of class c is {@code z = mean[c] + std[c]·ε}, where ε is the same standard-normal draw
 * that the STANDARD prior uses as z itself, so both priors consume a run's {@link Noise} identically.
 * <p>
 * Unconditioned models, and models conditioned on attributes rather than classes, get one Gaussian (K = 1) for every
 * sample. {@code std} is the maximum-likelihood (biased, divide by n) standard deviation of each class's μ's: the fit
 * of a Gaussian, defined for a class with one image; with thousands of images per class it differs from the unbiased
 * one by a factor √(n/(n−1)) ≈ 1. Arrays are float64, {@code [K,Z]}. Immutable.
 */
public final class LatentPrior {

    /** Names of the prior's arrays in a checkpoint. */
    public static final String MEAN = "prior/mean", STD = "prior/std", COUNT = "prior/count", ENCODER_STEP = "prior/encoderStep";

    /** Offset from the run seed of the seeded subset of training images a prior is fitted to. */
    static final long FIT_SEED_OFFSET = 606;

    /** Training images converted and encoded at once while fitting (bounds the memory of CelebA's 64×64 images). */
    private static final int FIT_CHUNK = 1000;

    private final double[][] mean, std;
    private final long[] counts;
    private final long encoderStep;

    /**
     * @param mean        {@code [K][Z]} per-class means of μ
     * @param std         {@code [K][Z]} per-class standard deviations (finite, ≥ 0)
     * @param counts      {@code [K]} images each class was fitted on (≥ 1)
     * @param encoderStep encoder updates done when the prior was fitted ({@link Adam#step()} of the encoder), to tell
     *                    a prior of the current encoder from a stale one
     */
    public LatentPrior(double[][] mean, double[][] std, long[] counts, long encoderStep) {
        if (mean.length == 0 || mean[0].length == 0) throw new IllegalArgumentException("a latent prior needs K ≥ 1 classes and Z ≥ 1 latents");
        int k = mean.length, z = mean[0].length;
        if (std.length != k || counts.length != k) {
            throw new IllegalArgumentException("latent prior: mean has " + k + " classes, std " + std.length + ", counts " + counts.length);
        }
        this.mean = new double[k][];
        this.std = new double[k][];
        for (int c = 0; c < k; c++) {
            if (mean[c].length != z || std[c].length != z) {
                throw new IllegalArgumentException("latent prior: class " + c + " has " + mean[c].length + " means and "
                        + std[c].length + " standard deviations, expected " + z);
            }
            for (int j = 0; j < z; j++) {
                if (!Double.isFinite(mean[c][j]) || !Double.isFinite(std[c][j]) || std[c][j] < 0) {
                    throw new IllegalArgumentException("latent prior: class " + c + ", latent " + j + " has mean " + mean[c][j]
                            + " and std " + std[c][j] + ", expected finite values and std ≥ 0");
                }
            }
            if (counts[c] < 1) throw new IllegalArgumentException("latent prior: class " + c + " was fitted on " + counts[c] + " images, expected ≥ 1");
            this.mean[c] = mean[c].clone();
            this.std[c] = std[c].clone();
        }
        this.counts = counts.clone();
        this.encoderStep = encoderStep;
    }

    /** K, the number of Gaussians a prior of {@code arch} on {@code data} has: the classes when conditioned on labels, else 1. */
    public static int classCount(Architecture arch, ImageSet data) {
        return arch.conditioning() > 0 && data.hasLabels() ? arch.conditioning() : 1;
    }

    /**
     * The training images a prior is fitted to: all of {@code data} when it has at most {@code maxImages}, else a seeded
     * subset (seed {@code runSeed + 606}, ascending), so every fit of a run (after training, at each held-out evaluation)
     * uses the same images and class-sorted data still gives every class.
     */
    public static int[] fitIndices(ImageSet data, int maxImages, long runSeed) {
        if (maxImages < 1) throw new IllegalArgumentException("sampling.fitImages = " + maxImages + ", expected >= 1");
        return data.size() <= maxImages ? data.allIndices() : ImageSet.sampleIndices(data.size(), maxImages, runSeed + FIT_SEED_OFFSET);
    }

    /**
     * Fits the prior to the posterior means of up to {@code maxImages} images of {@code train} ({@link #fitIndices})
     * with the model's current encoder. Draws no noise.
     *
     * @throws IllegalArgumentException if a class has no image among them
     */
    public static LatentPrior fit(FaModel model, ImageSet train, int maxImages) {
        Architecture arch = model.architecture();
        int k = classCount(arch, train);
        if (k > 1) Conditioning.check(arch, train);
        int[] idx = fitIndices(train, maxImages, model.config().seed());
        int z = arch.latent();
        double[][] mu = new double[idx.length][];
        int[] classes = new int[idx.length];
        for (int start = 0; start < idx.length; start += FIT_CHUNK) {
            int[] part = Arrays.copyOfRange(idx, start, Math.min(idx.length, start + FIT_CHUNK));
            try (INDArray x = train.toNCHW(part, model.config().dataType())) {
                FaModel.Posterior p = model.encode(x);
                double[] flat = p.mean().castTo(DataType.DOUBLE).dup('c').data().asDouble();
                for (int i = 0; i < part.length; i++) {
                    mu[start + i] = Arrays.copyOfRange(flat, i * z, (i + 1) * z);
                    classes[start + i] = k == 1 ? 0 : train.label(part[i]);
                }
                p.mean().close();
                p.logVariance().close();
            }
        }
        try {
            return fromLatents(mu, classes, k, model.encoderOptimizer().step());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage() + " (" + idx.length + " of " + train.size() + " images of "
                    + train.name() + "; setting sampling.fitImages = " + maxImages + ")", e);
        }
    }

    /** {@link #fromLatents(double[][], int[], int, long)} of posterior means {@code mu [N,Z]}. */
    public static LatentPrior fromLatents(INDArray mu, int[] classes, int classCount, long encoderStep) {
        if (mu.rank() != 2) throw new IllegalArgumentException("posterior means: expected [N,Z], got " + Arrays.toString(mu.shape()));
        int n = (int) mu.size(0), z = (int) mu.size(1);
        double[] flat = mu.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        double[][] rows = new double[n][];
        for (int i = 0; i < n; i++) rows[i] = Arrays.copyOfRange(flat, i * z, (i + 1) * z);
        return fromLatents(rows, classes, classCount, encoderStep);
    }

    /**
     * The per-class mean and maximum-likelihood standard deviation of posterior means {@code mu [N][Z]} whose classes
     * are {@code classes [N]} (each in 0..classCount−1), in two passes for accuracy.
     *
     * @throws IllegalArgumentException if a class has no row
     */
    public static LatentPrior fromLatents(double[][] mu, int[] classes, int classCount, long encoderStep) {
        if (classCount < 1) throw new IllegalArgumentException("classCount = " + classCount + ", expected >= 1");
        if (mu.length != classes.length) {
            throw new IllegalArgumentException(mu.length + " posterior means but " + classes.length + " class ids");
        }
        if (mu.length == 0) throw new IllegalArgumentException("no posterior means to fit a latent prior to");
        int z = mu[0].length;
        double[][] mean = new double[classCount][z], sq = new double[classCount][z];
        long[] counts = new long[classCount];
        for (int i = 0; i < mu.length; i++) {
            int c = classes[i];
            if (c < 0 || c >= classCount) throw new IllegalArgumentException("class id " + c + " at " + i + " is outside 0.." + (classCount - 1));
            if (mu[i].length != z) throw new IllegalArgumentException("posterior mean " + i + " has " + mu[i].length + " values, expected " + z);
            counts[c]++;
            for (int j = 0; j < z; j++) mean[c][j] += mu[i][j];
        }
        for (int c = 0; c < classCount; c++) {
            if (counts[c] == 0) {
                throw new IllegalArgumentException("class " + c + " has none of the " + mu.length + " images the CLASS_GAUSSIAN"
                        + " prior (sampling.prior) is fitted to; it needs at least one image of every class 0.." + (classCount - 1));
            }
            for (int j = 0; j < z; j++) mean[c][j] /= counts[c];
        }
        for (int i = 0; i < mu.length; i++) {
            int c = classes[i];
            for (int j = 0; j < z; j++) {
                double d = mu[i][j] - mean[c][j];
                sq[c][j] += d * d;
            }
        }
        for (int c = 0; c < classCount; c++) for (int j = 0; j < z; j++) sq[c][j] = Math.sqrt(sq[c][j] / counts[c]);
        return new LatentPrior(mean, sq, counts, encoderStep);
    }

    /**
     * The class ids of conditioning rows {@code [n,K]}: the argmax of each (one-hot) row. With one Gaussian (K = 1) every
     * sample is class 0 and the conditioning is not read (it may be null or hold attributes).
     */
    public int[] classesOf(INDArray condition, int n) {
        int k = classes();
        if (k == 1) return new int[n];
        if (condition == null || condition.rank() != 2 || condition.size(0) != n || condition.size(1) != k) {
            throw new IllegalArgumentException("a class Gaussian prior of " + k + " classes needs conditioning [" + n + "," + k
                    + "], got " + (condition == null ? "none" : Arrays.toString(condition.shape())));
        }
        double[] v = condition.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) {
            int best = 0;
            for (int c = 1; c < k; c++) if (v[i * k + c] > v[i * k + best]) best = c;
            if (!(v[i * k + best] > 0)) throw new IllegalArgumentException("conditioning row " + i + " names no class (no positive entry)");
            ids[i] = best;
        }
        return ids;
    }

    /** Latents {@code z = mean[c] + std[c]·ε} of standard-normal draws {@code eps [N,Z]} for classes {@code [N]}; eps's data type. */
    public INDArray latents(INDArray eps, int[] classes) {
        int z = latent();
        if (eps.rank() != 2 || eps.size(1) != z || eps.size(0) != classes.length) {
            throw new IllegalArgumentException("eps: expected shape [" + classes.length + "," + z + "], got " + Arrays.toString(eps.shape()));
        }
        double[] e = eps.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        double[] out = new double[e.length];
        for (int i = 0; i < classes.length; i++) {
            int c = classes[i];
            if (c < 0 || c >= classes()) {
                throw new IllegalArgumentException("class " + c + " of sample " + i + " is not among the " + classes()
                        + " classes this prior was fitted to");
            }
            for (int j = 0; j < z; j++) out[i * z + j] = mean[c][j] + std[c][j] * e[i * z + j];
        }
        return Nd4j.create(out, new long[]{classes.length, z}, 'c').castTo(eps.dataType());
    }

    /** K, the number of Gaussians. */
    public int classes() { return mean.length; }

    /** Z, the latent size. */
    public int latent() { return mean[0].length; }

    /** The means, {@code [K,Z]} float64 (a copy). */
    public INDArray meanArray() { return Nd4j.createFromArray(mean); }

    /** The standard deviations, {@code [K,Z]} float64 (a copy). */
    public INDArray stdArray() { return Nd4j.createFromArray(std); }

    /** Images per class the prior was fitted on, {@code [K]} (a copy). */
    public long[] counts() { return counts.clone(); }

    /** Images the prior was fitted on. */
    public long imageCount() { return Arrays.stream(counts).sum(); }

    /** Encoder updates done when the prior was fitted. */
    public long encoderStep() { return encoderStep; }

    /** The arrays a checkpoint stores, by {@link #MEAN}, {@link #STD}, {@link #COUNT}, {@link #ENCODER_STEP}. */
    public Map<String, INDArray> toArrays() {
        Map<String, INDArray> a = new LinkedHashMap<>();
        a.put(MEAN, meanArray());
        a.put(STD, stdArray());
        a.put(COUNT, Nd4j.createFromArray(counts.clone()));
        a.put(ENCODER_STEP, Nd4j.createFromArray(new long[]{encoderStep}));
        return a;
    }

    /**
     * The prior stored in checkpoint arrays, or null when they hold none (runs fitted no prior, or predate it).
     *
     * @param latent Z of the run, which the stored prior must match
     * @throws Checkpoint.CheckpointException when only some of the arrays are there or they do not form a prior
     */
    public static LatentPrior fromArrays(Map<String, INDArray> arrays, int latent, Path file) throws Checkpoint.CheckpointException {
        INDArray m = arrays.get(MEAN), s = arrays.get(STD), n = arrays.get(COUNT), step = arrays.get(ENCODER_STEP);
        if (m == null && s == null && n == null && step == null) return null;
        for (var e : Map.of(MEAN, m == null, STD, s == null, COUNT, n == null, ENCODER_STEP, step == null).entrySet()) {
            if (e.getValue()) throw new Checkpoint.CheckpointException(file, "holds part of a sampling prior but no array '" + e.getKey() + "'");
        }
        if (m.rank() != 2 || m.size(1) != latent || !Arrays.equals(m.shape(), s.shape()) || n.length() != m.size(0) || step.length() != 1) {
            throw new Checkpoint.CheckpointException(file, "sampling prior arrays have shapes " + MEAN + " " + Arrays.toString(m.shape())
                    + ", " + STD + " " + Arrays.toString(s.shape()) + ", " + COUNT + " " + Arrays.toString(n.shape()) + ", "
                    + ENCODER_STEP + " " + Arrays.toString(step.shape()) + "; expected [K," + latent + "], [K," + latent + "], [K], [1]");
        }
        try {
            return new LatentPrior(m.castTo(DataType.DOUBLE).toDoubleMatrix(), s.castTo(DataType.DOUBLE).toDoubleMatrix(),
                    n.castTo(DataType.LONG).toLongVector(), step.castTo(DataType.LONG).getLong(0));
        } catch (IllegalArgumentException e) {
            throw new Checkpoint.CheckpointException(file, "sampling prior: " + e.getMessage());
        }
    }
}
