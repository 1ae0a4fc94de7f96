package featurealign.train;

import featurealign.data.Batches;
import featurealign.data.ImageSet;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.*;

/**
 * The one training loop of the FA-VAE(-GAN) regime: seeded shuffled batches, {@link FaModel#trainStep} per batch,
 * history, progress, periodic atomic checkpoints, and native-memory hygiene. {@link #resume} continues a run exactly:
 * N steps, checkpoint, load, N more steps gives the same parameters as 2N steps in one go. With
 * {@code sampling.prior = CLASS_GAUSSIAN} it fits the {@link LatentPrior} when training reaches {@code config.steps()};
 * checkpoints hold it and resume restores it.
 */
public final class FaTrainer {

    private final RunConfig config;
    private final ImageSet data;
    private final FaModel model;
    private final Noise noise;
    private final Batches batches;
    private final History history;
    private long step;
    private Path checkpointFile;
    private final List<Progress.Listener> listeners = new ArrayList<>();
    private Evaluator evaluator;

    /**
     * A held-out evaluation of the model after a training step: values keyed by {@link History#HELD_OUT} columns
     * (absent or NaN when they do not apply). It must not draw from the run's {@link Noise}, so that training is the
     * same with and without evaluations.
     */
    @FunctionalInterface
    public interface Evaluator {
        /** @param step steps completed (1-based) */
        Map<String, Double> evaluate(FaModel model, long step);
    }

    /**
     * A new run on {@code data} (the first {@code config.trainLimit()} images if set). Labelled data conditions the
     * model on one-hot classes when the architecture asks for conditioning.
     */
    public FaTrainer(RunConfig config, ImageSet data) {
        this(config, data, new FaModel(config), new Noise(config.seed()), new History(), 0);
    }

    private FaTrainer(RunConfig config, ImageSet data, FaModel model, Noise noise, History history, long step) {
        this.config = config;
        this.data = config.trainLimit() > 0 && config.trainLimit() < data.size() ? data.first(config.trainLimit()) : data;
        if (this.data.size() == 0) throw new IllegalArgumentException("training data " + data.name() + " is empty");
        var img = config.architecture().image();
        if (this.data.channels() != img.dim(0) || this.data.height() != img.dim(1) || this.data.width() != img.dim(2)) {
            throw new IllegalArgumentException("training data " + data.name() + " has images [" + this.data.channels() + ","
                    + this.data.height() + "," + this.data.width() + "], the architecture expects " + img);
        }
        Conditioning.check(config.architecture(), this.data);
        this.model = model;
        this.noise = noise;
        this.history = history;
        this.step = step;
        // Batch order depends on the seed only, so a resumed run replays the same epochs.
        this.batches = new Batches(this.data.size(), config.batchSize(), config.seed(), false);
    }

    /** Continues the run saved in {@code checkpoint} on the same data. */
    public static FaTrainer resume(Path checkpoint, ImageSet data) throws IOException {
        return resume(checkpoint, data, (saved, step) -> saved);
    }

    /** Picks the config a resumed run continues with, given the saved one and the steps it has done; may throw to refuse. */
    @FunctionalInterface
    public interface Chooser {
        RunConfig choose(RunConfig saved, long savedStep);
    }

    /**
     * Continues the run saved in {@code checkpoint} with the config {@code choose} returns for the saved one (the
     * same, or one that plans more steps; it may throw to refuse). Its architecture and data type must match the
     * saved arrays.
     */
    public static FaTrainer resume(Path checkpoint, ImageSet data, Chooser choose) throws IOException {
        Checkpoint c = Checkpoint.read(checkpoint);
        RunConfig config = choose.choose(savedConfig(checkpoint, c), c.step());
        FaModel model = new FaModel(config);
        for (var e : model.stateArrays().entrySet()) e.getValue().assign(c.array(checkpoint, e.getKey(), e.getValue()));
        restore(checkpoint, c, "encoder", model.encoderOptimizer());
        if (model.hasGan()) {
            restore(checkpoint, c, "generator", model.generatorOptimizer());
            restore(checkpoint, c, "discriminator", model.discriminatorOptimizer());
        }
        Noise noise = new Noise(config.seed());
        noise.restore(c.noiseState());
        History history = History.fromCsv(c.historyCsv(), checkpoint + ": history.csv");
        // Kept whatever sampling.prior now says: a run switched back and forth keeps its fitted prior.
        model.setPrior(LatentPrior.fromArrays(c.arrays(), config.architecture().latent(), checkpoint));
        FaTrainer t = new FaTrainer(config, data, model, noise, history, c.step());
        t.checkpointFile = checkpoint;
        return t;
    }

    /**
     * The checkpoint {@link #train} keeps beside {@code checkpoint} when a run reaches its GAN phase
     * ({@code ganStartStep}, with {@code gan} on, after at least one encoder step): {@code <name>-gan-start.zip}, the
     * start of a {@link #branch}.
     */
    public static Path ganStartCheckpoint(Path checkpoint) {
        String name = checkpoint.getFileName().toString();
        String stem = name.endsWith(".zip") ? name.substring(0, name.length() - 4) : name;
        return checkpoint.resolveSibling(stem + "-gan-start.zip");
    }

    /**
     * Starts {@code config} from a checkpoint taken before its GAN phase (usually {@link #ganStartCheckpoint}) of a run
     * whose settings may differ in what only the GAN phase reads ({@code gan.*}, G's architecture, the perceptual
     * weight; {@link RunConfig#encoderPhaseDifferences}): the encoder, its optimizer, the noise and the history
     * continue, and G and D start from {@code config}'s initialisation. With the same {@code steps}, the result is, to
     * the last bit, what a run of {@code config} from step 0 gives, so GAN settings can be compared without training the
     * encoder again.
     *
     * @throws Checkpoint.CheckpointException when the checkpoint is past {@code config.ganStartStep()} or differs in a
     *                                        setting the encoder phase reads (each named)
     */
    public static FaTrainer branch(Path checkpoint, ImageSet data, RunConfig config) throws IOException {
        Checkpoint c = Checkpoint.read(checkpoint);
        RunConfig saved = savedConfig(checkpoint, c);
        if (c.step() > config.ganStartStep() || (saved.gan() && c.step() > saved.ganStartStep())) {
            throw new Checkpoint.CheckpointException(checkpoint, "step " + c.step() + " is past the GAN phase's start (ganStartStep "
                    + Math.min(config.ganStartStep(), saved.gan() ? saved.ganStartStep() : Integer.MAX_VALUE)
                    + "); a branch starts from a checkpoint taken before G and D train");
        }
        List<String> differ = saved.encoderPhaseDifferences(config);
        if (!differ.isEmpty()) {
            throw new Checkpoint.CheckpointException(checkpoint, "its run differs from this one in settings the encoder phase reads: "
                    + String.join(", ", differ) + "; a branch may change only gan.*, G's architecture and perceptualWeight");
        }
        FaModel model = new FaModel(config);
        for (var e : model.encoderParameters().entrySet()) e.getValue().assign(c.array(checkpoint, e.getKey(), e.getValue()));
        restore(checkpoint, c, "encoder", model.encoderOptimizer());
        Noise noise = new Noise(config.seed());
        noise.restore(c.noiseState());
        History history = History.fromCsv(c.historyCsv(), checkpoint + ": history.csv");
        return new FaTrainer(config, data, model, noise, history, c.step());
    }

    /** The run config a checkpoint of this regime holds; an error names the file otherwise. */
    private static RunConfig savedConfig(Path file, Checkpoint c) throws Checkpoint.CheckpointException {
        if (!"fa-vae-gan".equals(c.kind())) {
            throw new Checkpoint.CheckpointException(file, "kind '" + c.kind() + "', expected 'fa-vae-gan'");
        }
        try {
            return RunConfig.fromProperties(c.config());
        } catch (IllegalArgumentException e) {
            throw new Checkpoint.CheckpointException(file, "config.properties: " + e.getMessage());
        }
    }

    private static void restore(Path file, Checkpoint c, String name, Adam adam) throws Checkpoint.CheckpointException {
        Adam.State s = c.optimizers().get(name);
        if (s == null) throw new Checkpoint.CheckpointException(file, "missing optimizer state '" + name + "'");
        adam.restore(s);
    }

    /** Where {@link #train} writes checkpoints (every {@code config.checkpointEvery()} steps and at the end). */
    public FaTrainer checkpointTo(Path file) {
        this.checkpointFile = file;
        return this;
    }

    /**
     * Evaluates with {@code e} every {@code config.evalEvery()} steps and after the run's last step, into the history
     * (training seconds exclude it).
     */
    public FaTrainer evaluateWith(Evaluator e) {
        this.evaluator = Objects.requireNonNull(e);
        return this;
    }

    /** Whether an evaluator is set. */
    public boolean evaluates() { return evaluator != null; }

    /** Evaluates now (after step {@link #step()}) and records it in the history; returns the values. */
    public Map<String, Double> evaluateNow() {
        if (evaluator == null) throw new IllegalStateException("no evaluator: call evaluateWith first");
        if (step == 0) throw new IllegalStateException("no training step yet: the history has no row to record into");
        Map<String, Double> values = evaluator.evaluate(model, step);
        history.addEvaluation(step, values);
        return values;
    }

    /** Adds a listener that gets a report after every step (alongside any added before). */
    public FaTrainer onProgress(Progress.Listener listener) {
        listeners.add(Objects.requireNonNull(listener));
        return this;
    }

    /** Removes a listener added with {@link #onProgress}; false when it was not there. */
    public boolean removeProgress(Progress.Listener listener) {
        return listeners.remove(listener);
    }

    public RunConfig config() { return config; }

    public FaModel model() { return model; }

    public History history() { return history; }

    /** The run's noise source (also used for samples drawn after training, so they are reproducible). */
    public Noise noise() { return noise; }

    /** The training images actually used. */
    public ImageSet data() { return data; }

    /** Steps completed. */
    public long step() { return step; }

    /**
     * Fits the class Gaussian prior to the current encoder on up to {@code sampling.fitImages} training images
     * ({@link LatentPrior#fit}) and sets it on the model. Draws no noise, so training is unchanged.
     */
    public LatentPrior fitPrior() {
        LatentPrior p = LatentPrior.fit(model, data, config.fitImages());
        model.setPrior(p);
        return p;
    }

    /** Whether the model's prior was fitted to the current encoder on the images {@code sampling.fitImages} asks for. */
    public boolean priorCurrent() {
        return model.priorIsCurrent()
                && model.prior().imageCount() == LatentPrior.fitIndices(data, config.fitImages(), config.seed()).length;
    }

    private boolean needsPrior() {
        return config.samplingPrior() == RunConfig.SamplingPrior.CLASS_GAUSSIAN && !priorCurrent();
    }

    /** Trains until {@code config.steps()} steps are done. */
    public void train() throws IOException {
        train(Math.max(0, config.steps() - step));
    }

    /**
     * Trains {@code moreSteps} steps. On NaN/Inf it throws {@link TrainingDivergedException} at once: the last
     * checkpoint on disk stays as it was.
     */
    public void train(long moreSteps) throws IOException {
        // The rate and ETA count the steps with their batch preparation and collections, not the evaluations.
        long target = step + moreSteps, trainingNanos = 0, sessionSteps = 0;
        while (step < target) {
            int perEpoch = batches.batchesPerEpoch();
            int epoch = Math.toIntExact(step / perEpoch);
            boolean gan = config.ganActiveAt(step);
            // gan.prior = CLASS_GAUSSIAN: the GAN phase draws from class Gaussians of the encoder as it is when the phase
            // starts (a resumed run has them from its checkpoint).
            if (gan && model.hasGan() && config.ganOptions().prior() == RunConfig.SamplingPrior.CLASS_GAUSSIAN
                    && model.prior() == null) {
                fitPrior();
            }
            long t0 = System.nanoTime();
            int[] idx = batches.epoch(epoch).get((int) (step % perEpoch));
            INDArray x = data.toNCHW(idx, config.dataType());
            INDArray cond = Conditioning.of(config.architecture(), data, idx, config.dataType());
            long s0 = System.nanoTime();
            FaModel.StepLosses losses = model.trainStep(x, cond, gan, noise, step + 1);
            double seconds = (System.nanoTime() - s0) / 1e9;
            step++;
            sessionSteps++;
            history.add(step, epoch, losses, seconds);
            x.close();
            if (cond != null) cond.close();
            if (config.gcEvery() > 0 && step % config.gcEvery() == 0) System.gc(); // frees ND4J's off-heap buffers
            trainingNanos += System.nanoTime() - t0;
            // The run's prior is fitted once training is done, before the last evaluation, which then judges the
            // samples of exactly this prior (as the metrics will).
            if (step == config.steps() && needsPrior()) fitPrior();
            Map<String, Double> evaluation = Map.of();
            if (evaluator != null && config.evalEvery() > 0 && (step % config.evalEvery() == 0 || step == config.steps())) {
                evaluation = evaluateNow();
            }
            double rate = sessionSteps / (trainingNanos / 1e9);
            long total = Math.max(target, config.steps());
            Progress.Report report = new Progress.Report(step, total, epoch, losses, rate, (total - step) / rate, gan,
                    evaluation);
            for (Progress.Listener l : listeners) l.onStep(report);
            if (checkpointFile != null && config.checkpointEvery() > 0 && step % config.checkpointEvery() == 0) {
                saveCheckpoint(checkpointFile);
            }
            if (checkpointFile != null && config.gan() && step == config.ganStartStep() && step < config.steps()) {
                saveCheckpoint(ganStartCheckpoint(checkpointFile));
            }
        }
        model.memory().releaseFreeBuffers();
        System.gc(); // and the last steps' garbage: checkpoints, figures and evaluation follow
        if (moreSteps > 0 && step >= config.steps() && needsPrior()) fitPrior(); // trained past the planned steps
        if (checkpointFile != null && moreSteps > 0) saveCheckpoint(checkpointFile);
    }

    /** Writes a checkpoint of the current state atomically. */
    public void saveCheckpoint(Path file) throws IOException {
        Map<String, Adam.State> opts = new LinkedHashMap<>();
        opts.put("encoder", model.encoderOptimizer().state());
        if (model.hasGan()) {
            opts.put("generator", model.generatorOptimizer().state());
            opts.put("discriminator", model.discriminatorOptimizer().state());
        }
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        Map<String, INDArray> arrays = new LinkedHashMap<>(model.stateArrays());
        // Stale too: the GAN phase draws from the prior fitted at its start (gan.prior), so an exact resume needs it.
        if (model.prior() != null) arrays.putAll(model.prior().toArrays());
        new Checkpoint("fa-vae-gan", config.toProperties(), step, noise.state(), arrays, opts, history.toCsv()).write(file);
    }
}
