package featurealign.experiment;

import featurealign.data.ImageSet;
import featurealign.eval.ImageMetrics;
import featurealign.eval.Judge;
import featurealign.train.Conditioning;
import featurealign.train.FaModel;
import featurealign.train.FaTrainer;
import featurealign.train.History;
import featurealign.train.LatentPrior;
import featurealign.train.Noise;
import featurealign.train.RunConfig;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The held-out numbers of a run, the same during training (every {@code evalEvery} steps, into the history) and in
 * its final metrics table, which is the last of them ({@link #measure}) plus what only the end computes:
 * reconstruction MSE and PSNR of the first {@code evalImages} test images (z = μ + σ·ε, true conditioning), the
 * judge's accuracy on them (labelled data) and on prior samples (conditioned runs: labels cycling over the classes;
 * FA-only, and GAN-refined once the GAN has trained), and the spread of the samples against that of real test images. Each
 * draws its noise from its own seeded stream, never from the run's, so evaluating does not change training and the
 * same model always gets the same numbers.
 * <p>
 * With {@code sampling.prior = CLASS_GAUSSIAN} the samples come from a class Gaussian fitted to the encoder being
 * evaluated, on the same training images as the run's own fit ({@link LatentPrior#fitIndices}): the model's prior when
 * it is current (after the last step), else one fitted for this evaluation only, which leaves the model's prior alone.
 */
public final class HeldOutEvaluation implements FaTrainer.Evaluator {

    /** Seeds of the evaluation's noise streams, offset from the run seed (the figures use the same ones). */
    static final long RECONSTRUCTION_SEED = 101, SAMPLE_SEED = 202;

    private final RunConfig config;
    private final ImageSet testSet, trainSet;
    private final Judge judge;
    private final int[] indices;
    private final int sampleCount;
    private final double realSpread;

    /** An evaluation without training images: only for {@code sampling.prior = STANDARD}. */
    public HeldOutEvaluation(RunConfig config, ImageSet testSet, Judge judge) {
        this(config, testSet, judge, null);
    }

    /**
     * @param judge    the data set's judge, or null for unlabelled data (then only the image numbers are computed)
     * @param trainSet the training images the run trains on (its {@link FaTrainer#data()}), to fit a class Gaussian
     *                 prior at each evaluation; may be null when {@code sampling.prior} is STANDARD
     */
    public HeldOutEvaluation(RunConfig config, ImageSet testSet, Judge judge, ImageSet trainSet) {
        if (config.samplingPrior() == RunConfig.SamplingPrior.CLASS_GAUSSIAN && trainSet == null) {
            throw new IllegalArgumentException("sampling.prior = CLASS_GAUSSIAN: the held-out evaluation needs the training"
                    + " images to fit the prior to");
        }
        this.config = config;
        this.testSet = testSet;
        this.trainSet = trainSet;
        this.judge = judge;
        this.indices = Experiment.range(Math.min(config.evalImages(), testSet.size()));
        this.sampleCount = Math.max(2, Math.min(config.sampleImages(), testSet.size() / 2));
        try (INDArray real = testSet.toNCHW(Experiment.range(Math.min(sampleCount, testSet.size())), config.dataType())) {
            this.realSpread = ImageMetrics.spread(real);
        }
    }

    /** The test images evaluated, {@code [n,C,H,W]} (a new array each call). */
    public INDArray images() { return testSet.toNCHW(indices, config.dataType()); }

    /** Their conditioning (null when unconditioned). */
    public INDArray condition() { return Conditioning.of(config.architecture(), testSet, indices, config.dataType()); }

    /** The number of test images evaluated. */
    public int imageCount() { return indices.length; }

    /** The number of prior samples evaluated. */
    public int sampleCount() { return sampleCount; }

    /** The spread ({@link ImageMetrics#spread}) of {@link #sampleCount()} real test images. */
    public double realSpread() { return realSpread; }

    /** FA reconstructions of {@link #images()}: z = μ + σ·ε from this evaluation's own noise stream. */
    public INDArray reconstructions(FaModel model, INDArray images, INDArray condition) {
        return model.reconstruct(images, condition, new Noise(config.seed() + RECONSTRUCTION_SEED));
    }

    /**
     * {@code n} samples from the run's prior ({@link FaModel#samplingPrior()}), labels cycling over the classes, FA-only
     * and (with a generator) GAN-refined.
     */
    public static Inspection.Images samples(FaModel model, int n) {
        return samples(model, n, model.samplingPrior());
    }

    /**
     * {@link #samples(FaModel, int)} from {@code prior} (null: z ~ N(0, I)); the same noise stream for every prior, so
     * two priors get the same ε.
     */
    public static Inspection.Images samples(FaModel model, int n, LatentPrior prior) {
        return samples(model, n, prior, model.hasGan());
    }

    /** {@link #samples(FaModel, int, LatentPrior)}, refined only when {@code refine} (G draws no noise: FA samples are the same). */
    private static Inspection.Images samples(FaModel model, int n, LatentPrior prior, boolean refine) {
        RunConfig c = model.config();
        Noise noise = new Noise(c.seed() + SAMPLE_SEED);
        int k = c.architecture().conditioning();
        INDArray cond = k > 0 ? Inspection.cyclingLabels(n, k, c.dataType()) : null;
        FaModel.Aligned fa = model.sampleWithProbe(n, cond, noise, prior);
        INDArray refined = refine ? model.refine(fa, cond) : null;
        fa.probe().close();
        return new Inspection.Images(fa.image(), refined);
    }

    /**
     * The prior this evaluation samples {@code model} from: null for STANDARD; for CLASS_GAUSSIAN the model's own when
     * it was fitted to the current encoder on the same images, else one fitted now (the model's is left as it is).
     */
    public LatentPrior priorFor(FaModel model) {
        if (config.samplingPrior() == RunConfig.SamplingPrior.STANDARD) return null;
        int fitCount = LatentPrior.fitIndices(trainSet, config.fitImages(), config.seed()).length;
        if (model.priorIsCurrent() && model.prior().imageCount() == fitCount) return model.prior();
        return LatentPrior.fit(model, trainSet, config.fitImages());
    }

    /** The labels {@link #samples} asked for, as class ids. */
    public static int[] sampleLabels(RunConfig config, int n) {
        return Inspection.cyclingLabelIds(n, Math.max(1, config.architecture().conditioning()));
    }

    /**
     * One evaluation's numbers (keyed by {@link History#HELD_OUT} columns) and the arrays they were measured on, which the
     * final metrics go on to measure further; closing it frees the arrays.
     *
     * @param images          the test images evaluated {@code [n,C,H,W]}
     * @param condition       their conditioning (null when unconditioned)
     * @param reconstructions their FA reconstructions
     * @param samples         {@link #sampleCount()} prior samples, FA-only and (once G has trained) refined
     * @param ganTrained      whether the generator has trained by then (its numbers are in {@code values} only if so)
     */
    public record Measured(Map<String, Double> values, INDArray images, INDArray condition, INDArray reconstructions,
                           Inspection.Images samples, boolean ganTrained) implements AutoCloseable {
        @Override
        public void close() {
            for (INDArray a : new INDArray[]{images, condition, reconstructions, samples.featureAlignment(), samples.refined()}) {
                if (a != null && !a.wasClosed() && a.closeable()) a.close();
            }
        }
    }

    /** The evaluation of {@code model} after {@code step} steps, with its arrays (the caller closes it). */
    public Measured measure(FaModel model, long step) {
        Map<String, Double> v = new LinkedHashMap<>();
        INDArray x = images();
        INDArray cond = condition();
        INDArray rec = reconstructions(model, x, cond);
        double mse = ImageMetrics.meanMse(rec, x);
        v.put(History.TEST_MSE, mse);
        v.put(History.TEST_PSNR, ImageMetrics.psnrFromMse(mse));
        if (judge != null) v.put(History.TEST_JUDGE_RECONSTRUCTIONS, judge.accuracy(rec, java.util.Arrays.copyOf(Judge.labelsOf(testSet), indices.length)));
        // GAN samples only once the generator has trained (before that it is at its initialisation).
        boolean ganTrained = model.hasGan() && config.ganActiveAt(step - 1);
        Inspection.Images s = samples(model, sampleCount, priorFor(model), ganTrained);
        if (judge != null && config.architecture().conditioning() > 0) {
            int[] asked = sampleLabels(config, sampleCount);
            v.put(History.TEST_JUDGE_FA, judge.accuracy(s.featureAlignment(), asked));
            if (ganTrained) v.put(History.TEST_JUDGE_GAN, judge.accuracy(s.refined(), asked));
        }
        v.put(History.TEST_SPREAD_FA, ImageMetrics.spread(s.featureAlignment()) / realSpread);
        if (ganTrained) v.put(History.TEST_SPREAD_GAN, ImageMetrics.spread(s.refined()) / realSpread);
        return new Measured(v, x, cond, rec, s, ganTrained);
    }

    @Override
    public Map<String, Double> evaluate(FaModel model, long step) {
        try (Measured m = measure(model, step)) {
            return m.values();
        } finally {
            model.memory().releaseFreeBuffers(); // the evaluation's batch sizes are not training's
        }
    }
}
