package featurealign.eval;

import featurealign.runtime.NativeMemory;

import featurealign.data.ImageSet;
import featurealign.io.TypedProperties;
import featurealign.nn.Architecture;
import featurealign.nn.LayerSpec;
import featurealign.nn.Network;
import featurealign.nn.NetworkSpec;
import featurealign.nn.Shape;
import featurealign.data.Batches;
import featurealign.train.Adam;
import featurealign.train.Checkpoint;
import featurealign.train.GraphUpdate;
import featurealign.train.TrainingDivergedException;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.LinkedHashSet;
import java.util.Random;
import java.util.function.Consumer;

/**
 * The kit's own judge: a small CNN classifier trained on a labelled image set, used to classify reconstructions and
 * class-conditional samples, and as the feature space of a Fréchet distance (the kit's stand-in for FID, which would
 * need downloaded Inception weights). Architecture (see {@link #architecture}): conv stages of a 3×3 stride-1 and a
 * 3×3 stride-2 conv with leaky ReLU, flatten, dense to {@code featureWidth} features with leaky ReLU, dense to K
 * logits; trained with softmax cross-entropy and Adam, seeded.
 *
 * <p>Images are {@code [N,C,H,W]} with pixels in [0,1], any float data type; every method batches internally, so
 * tens of thousands of images are fine. A judge computes in float32 and is not thread-safe.
 *
 * <p>A judge carries a cache key: a SHA-256 over its architecture, its training settings and a fingerprint of the
 * training images and labels. {@link #loadOrTrain} reuses a cached judge only when the keys are equal.
 */
public final class Judge {

    /** Version of the training procedure: part of every cache key. */
    public static final int TRAINING_VERSION = 2;
    private static final DataType DTYPE = DataType.FLOAT;
    /** Images per inference batch: big enough to keep ops busy, small enough for a few hundred MB at 32×32. */
    private static final int INFERENCE_BATCH = 500;
    /** Training steps between explicit collections: ND4J frees off-heap buffers only on GC (ND4J M2.1 facts measured for the kit). */
    private static final int GC_EVERY_STEPS = 4;

    /**
     * What a judge predicts: one class of K (softmax, cross-entropy), or K independent binary attributes (sigmoid,
     * binary cross-entropy summed over attributes), such as CelebA's 40.
     */
    public enum Target { CLASSES, ATTRIBUTES }

    /**
     * A judge's own quality on real test images, printed and written beside every number it produces: accuracy (for
     * attributes: the mean over images and attributes) on the clean images and on the same images blurred with
     * Gaussian σ = {@code blurSigma} pixels.
     */
    public record Scores(Target target, double real, double blurred, double blurSigma, int images) {
        @Override public String toString() {
            return String.format(Locale.ROOT, "%s %.2f %% on %d real test images, %.2f %% on them blurred with σ = %s px",
                    target == Target.CLASSES ? "accuracy" : "mean attribute accuracy", 100 * real, images,
                    100 * blurred, Double.toString(blurSigma));
        }
    }

    /** What the judge was trained on and how long it took; stored in the judge file. */
    public record TrainingSummary(String data, String settings, int steps, double finalEpochLoss, double seconds) {
        @Override public String toString() {
            return String.format(Locale.ROOT, "%s; %s; %d steps, last-epoch mean loss %.4f, %.1f s", data, settings,
                    steps, finalEpochLoss, seconds);
        }
    }

    private final Shape image;
    private final Target target;
    private final int classes;
    private final JudgeConfig config;
    private final NetworkSpec spec;
    private final String dataFingerprint;
    private final String key;
    /** Set once, when training finishes or the file is read. */
    private TrainingSummary summary;
    private final SameDiff sd;
    private final Network network;
    private final NativeMemory memory = NativeMemory.withDefaults();

    private Judge(Shape image, Target target, int classes, JudgeConfig config, String dataFingerprint,
                  TrainingSummary summary) {
        this.image = image;
        this.target = target;
        this.classes = classes;
        this.config = config;
        this.spec = architecture(image, classes, config);
        this.dataFingerprint = dataFingerprint;
        this.key = cacheKey(target, spec, config, dataFingerprint);
        this.summary = summary;
        this.sd = SameDiff.create();
        this.network = Network.declare(sd, spec, DTYPE);
        SDVariable x = sd.placeHolder("x", DTYPE, image.withBatch(-1));
        SDVariable labels = sd.placeHolder("labels", DTYPE, -1, classes);
        Network.Pass pass = network.forward(x, false);
        // The input of the last (dense → logits) layer is the feature vector after its leaky ReLU.
        pass.inputs().get(spec.layers().size() - 1).rename("features");
        SDVariable logits = pass.output().rename("logits");
        SDVariable perSample;
        if (target == Target.CLASSES) {
            // Log-softmax by hand: SameDiff M2.1's logSoftmax(x, dim) fails when building its gradient. Subtracting
            // the row max keeps exp() finite; its gradient contributions cancel exactly.
            SDVariable shifted = logits.sub(logits.max(true, 1));
            SDVariable logProbabilities = shifted.sub(sd.math().log(sd.math().exp(shifted).sum(true, 1)));
            perSample = labels.mul(logProbabilities).sum(1).neg();
        } else {
            // Binary cross-entropy with logits in its stable form: max(l,0) − l·t + log(1 + exp(−|l|)), t in {0,1}.
            SDVariable stable = sd.math().log(sd.math().exp(sd.math().abs(logits).neg()).add(1.0));
            perSample = sd.nn().relu(logits, 0).sub(logits.mul(labels)).add(stable).sum(1);
        }
        perSample.mean("loss");
        sd.setLossVariables("loss");
    }

    /**
     * The judge network for {@code image} ([C,H,W]) and {@code classes} classes: per stage width w, conv 3×3 s1 → w,
     * leaky ReLU, conv 3×3 s2 → w, leaky ReLU; then flatten, dense → featureWidth, leaky ReLU, dense → classes.
     */
    public static NetworkSpec architecture(Shape image, int classes, JudgeConfig config) {
        if (image == null || !image.isImage()) throw new IllegalArgumentException("judge image shape must be [C,H,W], got " + image);
        if (classes < 2) throw new IllegalArgumentException("judge needs at least 2 classes, got " + classes);
        List<Integer> stages = config.stageWidths().isEmpty()
                ? JudgeConfig.automaticStages(image.dim(1), image.dim(2)) : config.stageWidths();
        LayerSpec activation = new LayerSpec.LeakyRelu(config.slope());
        return Architecture.convTrunk("judge", image, stages.stream().mapToInt(Integer::intValue).toArray(),
                config.featureWidth(), activation).then("judge", List.of(new LayerSpec.Dense(config.featureWidth(), classes)));
    }

    // ---------------------------------------------------------------------------------------------------- training

    /**
     * Trains a judge.
     *
     * @param images   {@code [N,C,H,W]} training images in [0,1]
     * @param labels   N class ids in 0..classes-1
     * @param classes  K ≥ 2
     * @param config   architecture and training settings
     * @param progress receives a line per ~100 steps and per epoch (null: silent)
     */
    public static Judge train(INDArray images, int[] labels, int classes, JudgeConfig config, Consumer<String> progress) {
        try (TrainingData data = TrainingData.of(images, classTargets(labels, classes, images), Target.CLASSES, config)) {
            return train(data, config, progress == null ? s -> { } : progress);
        }
    }

    /**
     * Trains an attribute judge.
     *
     * @param images     {@code [N,C,H,W]} training images in [0,1]
     * @param attributes {@code [N,K]} attribute values, +1 (present) or −1 (absent), as {@link ImageSet#attributesMatrix}
     */
    public static Judge trainAttributes(INDArray images, INDArray attributes, JudgeConfig config, Consumer<String> progress) {
        try (TrainingData data = TrainingData.of(images, attributeTargets(attributes, images), Target.ATTRIBUTES, config)) {
            return train(data, config, progress == null ? s -> { } : progress);
        }
    }

    private static Judge train(TrainingData data, JudgeConfig config, Consumer<String> progress) {
        long start = System.nanoTime();
        Judge judge = new Judge(data.image, data.target, data.classes, config, data.fingerprint, null);
        judge.network.initialize(config.seed());
        Map<String, INDArray> parameters = new LinkedHashMap<>();
        for (SDVariable v : judge.network.parameters()) parameters.put(v.name(), v.getArr());
        Adam adam = new Adam(config.learningRate(), 0.9, 0.999, 1e-8);
        GraphUpdate update = new GraphUpdate("judge", judge.sd, parameters, adam, judge.memory);
        // The judge's own seeded stream (java.util.Random), which every cached judge was trained with.
        Batches batches = new Batches(data.size(), config.batchSize(), false,
                epoch -> new Random(config.seed() * 1_000_003L + epoch));
        int stepsPerEpoch = batches.batchesPerEpoch();
        int step = 0;
        double lastEpochLoss = Double.NaN;
        progress.accept(String.format(Locale.ROOT, "judge: training %s on %s (%d steps per epoch, %d epochs)",
                judge.spec.layers().size() + "-layer CNN, " + judge.spec.parameterCount() + " parameters",
                data.description, stepsPerEpoch, config.epochs()));
        long totalSteps = (long) stepsPerEpoch * config.epochs();
        int imageSize = (int) data.image.size();
        for (int epoch = 0; epoch < config.epochs(); epoch++) {
            Random augmentationRng = new Random(config.seed() * 7_000_003L + epoch);
            double lossSum = 0;
            int s = 0;
            for (int[] rows : batches.epoch(epoch)) {
                double loss;
                adam.setLearningRate(config.learningRate() * 0.5 * (1 + Math.cos(Math.PI * step / totalSteps)));
                // x shares flat's buffer: only flat is closed.
                try (INDArray flat = augmented(data, rows, config.augmentation(), augmentationRng, imageSize);
                     INDArray y = data.targets(rows)) {
                    INDArray x = flat.reshape('c', data.image.withBatch(rows.length));
                    loss = update.run(Map.of("x", x, "labels", y), Map.of("loss", "loss"), Map.of()).total();
                } catch (TrainingDivergedException e) {
                    throw new TrainingDivergedException(e.getMessage() + " (epoch " + (epoch + 1) + "); try a smaller"
                            + " learning rate than " + config.learningRate());
                }
                lossSum += loss;
                step++;
                s++;
                if (step % GC_EVERY_STEPS == 0) System.gc();
                if (s % 100 == 0) {
                    progress.accept(String.format(Locale.ROOT, "judge: epoch %d/%d step %d/%d loss %.4f (%.0f s)",
                            epoch + 1, config.epochs(), s, stepsPerEpoch, loss, seconds(start)));
                }
            }
            lastEpochLoss = lossSum / stepsPerEpoch;
            progress.accept(String.format(Locale.ROOT, "judge: epoch %d/%d mean loss %.4f (%.0f s)",
                    epoch + 1, config.epochs(), lastEpochLoss, seconds(start)));
        }
        judge.memory.releaseFreeBuffers(); // a judge lives beside a model's memory: it keeps no buffers between calls
        System.gc();
        judge.summary = new TrainingSummary(data.description, config.trainingDescription(), step, lastEpochLoss,
                seconds(start));
        return judge;
    }

    private void setParameter(String name, INDArray value) {
        SDVariable v = sd.getVariable(name);
        INDArray target = v.getArr();
        if (target == null) {
            sd.setArrayForVariable(name, value);
        } else {
            target.assign(value);
        }
    }

    /**
     * Loads the judge cached in {@code cacheFile} if it was trained on exactly these images, labels, classes and
     * config (equal cache keys); otherwise (missing, unreadable, or stale) trains one and writes it there atomically.
     * Arguments as {@link #train}.
     */
    public static Judge loadOrTrain(Path cacheFile, INDArray images, int[] labels, int classes, JudgeConfig config,
                                    Consumer<String> progress) throws IOException {
        try (TrainingData data = TrainingData.of(images, classTargets(labels, classes, images), Target.CLASSES, config)) {
            return loadOrTrain(cacheFile, data, config, progress);
        }
    }

    private static Judge loadOrTrain(Path cacheFile, TrainingData data, JudgeConfig config, Consumer<String> progress)
            throws IOException {
        Consumer<String> log = progress == null ? s -> { } : progress;
        {
            String expected = cacheKey(data.target, architecture(data.image, data.classes, config), config, data.fingerprint);
            if (Files.exists(cacheFile)) {
                try {
                    Judge cached = load(cacheFile);
                    if (cached.key.equals(expected)) {
                        log.accept("judge: loaded " + cacheFile + " (" + cached.summary + ")");
                        return cached;
                    }
                    log.accept("judge: " + cacheFile + " was trained on other data or settings (" + cached.summary
                            + "); retraining");
                } catch (JudgeFileException e) {
                    log.accept("judge: cannot use cached judge (" + e.getMessage() + "); retraining");
                }
            }
            Judge judge = train(data, config, log);
            judge.save(cacheFile);
            log.accept("judge: saved " + cacheFile);
            return judge;
        }
    }

    /**
     * {@link #loadOrTrain(Path, INDArray, int[], int, JudgeConfig, Consumer)} on a labelled {@link ImageSet}, e.g.
     * {@code Judge.loadOrTrain(store.cacheRoot().resolve("judges/mnist.judge"), store.mnist(Split.TRAIN),
     * JudgeConfig.mnist(), System.out::println)}.
     */
    public static Judge loadOrTrain(Path cacheFile, ImageSet train, JudgeConfig config, Consumer<String> progress)
            throws IOException {
        if (!train.hasLabels() && !train.hasAttributes()) {
            throw new IllegalArgumentException(train.name() + " has neither class labels nor attributes; a judge needs one");
        }
        try (INDArray images = train.toFloatNCHW()) {
            if (train.hasLabels()) return loadOrTrain(cacheFile, images, labelsOf(train), train.classCount(), config, progress);
            try (INDArray attributes = train.attributesMatrix(train.allIndices(), DataType.FLOAT);
                 TrainingData data = TrainingData.of(images, attributeTargets(attributes, images), Target.ATTRIBUTES, config)) {
                return loadOrTrain(cacheFile, data, config, progress);
            }
        }
    }

    /**
     * This judge's {@link Scores} on a test set: class accuracy (or mean attribute accuracy) on its images as they are
     * and blurred with σ = {@code blurSigma} pixels.
     */
    public Scores score(ImageSet test, double blurSigma) {
        try (INDArray images = test.toFloatNCHW(); INDArray blurredImages = Augmentation.blurred(images, blurSigma)) {
            if (target == Target.CLASSES) {
                int[] labels = labelsOf(test);
                return new Scores(target, accuracy(images, labels), accuracy(blurredImages, labels), blurSigma, test.size());
            }
            try (INDArray attributes = test.attributesMatrix(test.allIndices(), DataType.FLOAT)) {
                return new Scores(target, attributeAccuracy(images, attributes), attributeAccuracy(blurredImages, attributes),
                        blurSigma, test.size());
            }
        }
    }

    /** The class ids of every image of a labelled set. */
    public static int[] labelsOf(ImageSet set) {
        if (!set.hasLabels()) throw new IllegalArgumentException(set.name() + " has no class labels; a judge needs them");
        int[] labels = new int[set.size()];
        for (int i = 0; i < labels.length; i++) labels[i] = set.label(i);
        return labels;
    }

    // --------------------------------------------------------------------------------------------------- inference

    /**
     * Mean attribute accuracy (0..1) of an attribute judge: the share of (image, attribute) pairs whose sign of the
     * logit matches {@code attributes} ({@code [N,K]}, +1 or −1).
     */
    public double attributeAccuracy(INDArray images, INDArray attributes) {
        if (target != Target.ATTRIBUTES) throw new IllegalStateException("this judge predicts classes, not attributes");
        int n = checkImages(images, "images");
        if (attributes == null || attributes.rank() != 2 || attributes.size(0) != n || attributes.size(1) != classes) {
            throw new IllegalArgumentException("attributes: expected [" + n + "," + classes + "], got "
                    + (attributes == null ? "null" : Arrays.toString(attributes.shape())));
        }
        float[] truth = attributes.castTo(DataType.FLOAT).dup('c').data().asFloat();
        long[] correct = {0};
        forEachBatch(images, "logits", (from, logits) -> {
            float[] l = logits.castTo(DataType.FLOAT).dup('c').data().asFloat();
            for (int i = 0; i < l.length; i++) if ((l[i] > 0) == (truth[from * classes + i] > 0)) correct[0]++;
        });
        return (double) correct[0] / ((long) n * classes);
    }

    /** What this judge predicts. */
    public Target target() { return target; }

    /** Predicted class per image (argmax of the logits). */
    public int[] predict(INDArray images) {
        if (target != Target.CLASSES) throw new IllegalStateException("this judge predicts attributes, not classes");
        int n = checkImages(images, "images");
        int[] predicted = new int[n];
        forEachBatch(images, "logits", (from, logits) -> {
            try (INDArray argmax = logits.argMax(1)) {
                for (int i = 0; i < argmax.length(); i++) predicted[from + i] = argmax.getInt(i);
            }
        });
        return predicted;
    }

    /** Fraction (0..1) of {@code images} classified as {@code labels} (one label per image). */
    public double accuracy(INDArray images, int[] labels) {
        int[] predicted = predict(images);
        if (labels == null || labels.length != predicted.length) {
            throw new IllegalArgumentException("labels: expected " + predicted.length + " (one per image), got "
                    + (labels == null ? "null" : labels.length));
        }
        int correct = 0;
        for (int i = 0; i < labels.length; i++) if (predicted[i] == labels[i]) correct++;
        return (double) correct / labels.length;
    }

    /** Class probabilities (softmax of the logits), float64 {@code [N,classes]}. */
    public INDArray probabilities(INDArray images) {
        int n = checkImages(images, "images");
        INDArray result = Nd4j.create(DataType.DOUBLE, n, classes);
        forEachBatch(images, "logits", (from, logits) -> {
            try (INDArray p = Nd4j.nn().softmax(logits.castTo(DataType.DOUBLE), 1)) {
                result.get(NDArrayIndex.interval(from, from + p.size(0)), NDArrayIndex.all()).assign(p);
            }
        });
        return result;
    }

    /** The penultimate-layer features (after the leaky ReLU), float64 {@code [N,featureWidth]}: the Fréchet space. */
    public INDArray features(INDArray images) {
        int n = checkImages(images, "images");
        INDArray result = Nd4j.create(DataType.DOUBLE, n, config.featureWidth());
        forEachBatch(images, "features", (from, f) -> {
            try (INDArray d = f.castTo(DataType.DOUBLE)) {
                result.get(NDArrayIndex.interval(from, from + d.size(0)), NDArrayIndex.all()).assign(d);
            }
        });
        return result;
    }

    private interface BatchConsumer {
        void accept(int from, INDArray output);
    }

    private void forEachBatch(INDArray images, String output, BatchConsumer consumer) {
        long n = images.size(0);
        for (long from = 0; from < n; from += INFERENCE_BATCH) {
            long to = Math.min(n, from + INFERENCE_BATCH);
            INDArray view = images.get(NDArrayIndex.interval(from, to), NDArrayIndex.all(), NDArrayIndex.all(),
                    NDArrayIndex.all());
            try (INDArray x = floatCopy(view)) {
                requireUnitRange(x, "images[" + from + ".." + to + ")");
                Map<String, INDArray> out = memory.outputs(sd, Map.of("x", x), output);
                try (INDArray values = out.get(output)) {
                    consumer.accept((int) from, values);
                }
            }
        }
        memory.releaseFreeBuffers();
        System.gc();
    }

    private int checkImages(INDArray images, String what) {
        if (images == null) throw new IllegalArgumentException(what + " must not be null");
        image.requireMatches(images.shape(), what + " (judge input)");
        if (images.size(0) > Integer.MAX_VALUE) throw new IllegalArgumentException(what + ": too many images");
        return (int) images.size(0);
    }

    // ------------------------------------------------------------------------------------------------- accessors

    /** Per-image input shape [C,H,W]. */
    public Shape imageShape() { return image; }

    /** Number of classes K. */
    public int classes() { return classes; }

    /** Width of {@link #features}. */
    public int featureWidth() { return config.featureWidth(); }

    public JudgeConfig config() { return config; }

    /** The network as data. */
    public NetworkSpec spec() { return spec; }

    /** Hex SHA-256 over architecture, training settings, training-data fingerprint and {@link #TRAINING_VERSION}. */
    public String key() { return key; }

    /** What the judge was trained on and how. */
    public TrainingSummary summary() { return summary; }

    @Override public String toString() {
        return "Judge[" + image + " → " + classes + " classes, key " + key.substring(0, 12) + "; " + summary + "]";
    }

    /**
     * The cache key of a judge: hex SHA-256 over the training version, the network spec, the training settings and the
     * training-data fingerprint.
     */
    static String cacheKey(Target target, NetworkSpec spec, JudgeConfig config, String dataFingerprint) {
        String text = "featurealign judge v" + TRAINING_VERSION + " " + target + "\n" + spec + "\n" + config.trainingDescription()
                + "\n" + dataFingerprint;
        return HexFormat.of().formatHex(sha256().digest(text.getBytes(StandardCharsets.UTF_8)));
    }

    // ---------------------------------------------------------------------------------------------------- files

    /** The {@link Checkpoint#kind()} of a judge's file. */
    public static final String CHECKPOINT_KIND = "judge";

    /**
     * Writes the judge atomically as a {@link Checkpoint} (the format of a run's checkpoint) of kind
     * {@value #CHECKPOINT_KIND}: its settings, data fingerprint, key and training summary as the config, its parameters
     * as the arrays (float32, bit for bit), step = training steps; no noise state, optimiser or history.
     */
    public void save(Path file) throws IOException {
        Properties p = new Properties();
        p.setProperty("image", TypedProperties.join(image.dims()));
        p.setProperty("target", target.name());
        p.setProperty("classes", Integer.toString(classes));
        p.setProperty("stageWidths", TypedProperties.join(config.stageWidths().stream().mapToInt(Integer::intValue).toArray()));
        p.setProperty("featureWidth", Integer.toString(config.featureWidth()));
        p.setProperty("slope", Double.toString(config.slope()));
        p.setProperty("epochs", Integer.toString(config.epochs()));
        p.setProperty("batchSize", Integer.toString(config.batchSize()));
        p.setProperty("learningRate", Double.toString(config.learningRate()));
        p.setProperty("seed", Long.toString(config.seed()));
        p.setProperty("trainingLimit", Integer.toString(config.trainingLimit()));
        Augmentation aug = config.augmentation();
        p.setProperty("augmentation.maxShift", Integer.toString(aug.maxShift()));
        p.setProperty("augmentation.horizontalFlip", Boolean.toString(aug.horizontalFlip()));
        double[] augValues = {aug.blurProbability(), aug.minBlurSigma(), aug.maxBlurSigma(), aug.contrast(), aug.brightness(),
                aug.noiseProbability(), aug.maxNoiseStd()};
        for (int i = 0; i < AUGMENTATION_VALUES.length; i++) {
            p.setProperty("augmentation." + AUGMENTATION_VALUES[i], Double.toString(augValues[i]));
        }
        p.setProperty("dataFingerprint", dataFingerprint);
        p.setProperty("key", key);
        p.setProperty("summary.data", summary.data());
        p.setProperty("summary.settings", summary.settings());
        p.setProperty("summary.finalEpochLoss", Double.toString(summary.finalEpochLoss()));
        p.setProperty("summary.seconds", Double.toString(summary.seconds()));
        Map<String, INDArray> arrays = new LinkedHashMap<>();
        for (SDVariable v : network.parameters()) arrays.put(v.name(), v.getArr());
        new Checkpoint(CHECKPOINT_KIND, p, summary.steps(), new byte[0], arrays, Map.of(), "").write(file);
    }

    /** The augmentation's real-valued settings, in {@link Augmentation}'s constructor order after the shift and flip. */
    private static final String[] AUGMENTATION_VALUES = {"blurProbability", "minBlurSigma", "maxBlurSigma", "contrast",
            "brightness", "noiseProbability", "maxNoiseStd"};

    /**
     * Reads a judge written by {@link #save}.
     *
     * @throws JudgeFileException naming the file when it is missing, not a complete checkpoint, a checkpoint of another
     *                            kind, missing or malformed in a setting (named), or when its key or parameters do not
     *                            fit the architecture it declares
     */
    public static Judge load(Path file) throws IOException {
        Checkpoint c;
        try {
            c = Checkpoint.read(file);
        } catch (Checkpoint.CheckpointException e) {
            throw new JudgeFileException(file, e.reason(), e);
        }
        if (!CHECKPOINT_KIND.equals(c.kind())) {
            throw new JudgeFileException(file, "a checkpoint of kind '" + c.kind() + "', not a judge (kind '" + CHECKPOINT_KIND + "')");
        }
        TypedProperties p = new TypedProperties("config.properties", c.config());
        try {
            int[] dims = p.ints("image");
            if (dims.length != 3) p.fail("image", "C,H,W");
            Shape image = Shape.image(dims[0], dims[1], dims[2]);
            Target target = p.enumeration("target", Target.class);
            // Empty: the stages follow the image size (JudgeConfig.automaticStages).
            List<Integer> stages = p.str("stageWidths").isEmpty() ? List.of() : Arrays.stream(p.ints("stageWidths")).boxed().toList();
            double[] augValues = new double[AUGMENTATION_VALUES.length];
            for (int i = 0; i < augValues.length; i++) augValues[i] = p.d("augmentation." + AUGMENTATION_VALUES[i]);
            Augmentation augmentation = new Augmentation(p.i("augmentation.maxShift"), p.bool("augmentation.horizontalFlip"),
                    augValues[0], augValues[1], augValues[2], augValues[3], augValues[4], augValues[5], augValues[6]);
            JudgeConfig config = new JudgeConfig(stages, p.i("featureWidth"), p.d("slope"), p.i("epochs"),
                    p.i("batchSize"), p.d("learningRate"), p.l("seed"), p.i("trainingLimit"), augmentation);
            TrainingSummary summary = new TrainingSummary(p.str("summary.data"), p.str("summary.settings"),
                    Math.toIntExact(c.step()), p.d("summary.finalEpochLoss"), p.d("summary.seconds"));
            Judge judge = new Judge(image, target, p.i("classes"), config, p.str("dataFingerprint"), summary);
            if (!judge.key.equals(p.str("key"))) {
                throw new JudgeFileException(file, "its key does not match its architecture and settings under this "
                        + "version of the kit (architecture changed?); delete it so the judge is retrained");
            }
            List<SDVariable> params = judge.network.parameters();
            Set<String> expected = new LinkedHashSet<>();
            for (SDVariable v : params) expected.add(v.name());
            if (!c.arrays().keySet().equals(expected)) {
                throw new JudgeFileException(file, "parameter arrays " + c.arrays().keySet() + ", the architecture "
                        + judge.spec.name() + " " + image + " → " + judge.classes + " needs " + expected);
            }
            for (SDVariable v : params) judge.setParameter(v.name(), c.array(file, v.name(), v.getArr()));
            return judge;
        } catch (Checkpoint.CheckpointException e) {
            throw new JudgeFileException(file, e.reason(), e);
        } catch (IllegalArgumentException e) {
            throw new JudgeFileException(file, "invalid settings: " + e.getMessage(), e);
        }
    }

    // ---------------------------------------------------------------------------------------------------- helpers

    /**
     * Training targets before preparation: {@code values} holds N rows of K floats (one-hot classes, or attributes as
     * 0/1), row-major.
     */
    private record Targets(float[] values, int count) {}

    /** One-hot rows for class ids, checked against {@code classes} and the number of images. */
    private static Targets classTargets(int[] labels, int classes, INDArray images) {
        if (classes < 2) throw new IllegalArgumentException("classes must be >= 2, got " + classes);
        long n = images == null ? -1 : images.size(0);
        if (labels == null || labels.length != n) {
            throw new IllegalArgumentException("labels: expected " + n + " (one per image), got "
                    + (labels == null ? "null" : labels.length));
        }
        float[] values = new float[labels.length * classes];
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= classes) {
                throw new IllegalArgumentException("labels[" + i + "] = " + labels[i] + ", expected 0.." + (classes - 1));
            }
            values[i * classes + labels[i]] = 1f;
        }
        return new Targets(values, classes);
    }

    /** 0/1 rows from ±1 attributes {@code [N,K]}. */
    private static Targets attributeTargets(INDArray attributes, INDArray images) {
        long n = images == null ? -1 : images.size(0);
        if (attributes == null || attributes.rank() != 2 || attributes.size(0) != n || attributes.size(1) < 1) {
            throw new IllegalArgumentException("attributes: expected [" + n + ",K] of ±1, got "
                    + (attributes == null ? "null" : Arrays.toString(attributes.shape())));
        }
        float[] values = attributes.castTo(DataType.FLOAT).dup('c').data().asFloat();
        for (int i = 0; i < values.length; i++) {
            if (values[i] != 1f && values[i] != -1f) {
                throw new IllegalArgumentException("attributes[" + (i / attributes.size(1)) + "," + (i % attributes.size(1))
                        + "] = " + values[i] + ", expected +1 or -1");
            }
            values[i] = values[i] > 0 ? 1f : 0f;
        }
        return new Targets(values, (int) attributes.size(1));
    }

    /** The training data prepared once: float32 c-order [N, C·H·W] rows, targets and their content fingerprint. */
    private record TrainingData(Shape image, Target target, int classes, INDArray flatImages, float[] targetValues,
                                String fingerprint, String description) implements AutoCloseable {

        /** Frees the float32 copy at once rather than at the next GC. */
        @Override public void close() { flatImages.close(); }

        int size() { return targetValues.length / classes; }

        /** The target rows of {@code rows}, {@code [rows.length, classes]}. */
        INDArray targets(int[] rows) {
            float[] values = new float[rows.length * classes];
            for (int i = 0; i < rows.length; i++) System.arraycopy(targetValues, rows[i] * classes, values, i * classes, classes);
            return Nd4j.create(values, new long[]{rows.length, classes}, 'c');
        }

        static TrainingData of(INDArray images, Targets targets, Target target, JudgeConfig config) {
            if (images == null || images.rank() != 4) {
                throw new IllegalArgumentException("images: expected [N,C,H,W], got "
                        + (images == null ? "null" : Arrays.toString(images.shape())));
            }
            if (target == Target.CLASSES && targets.count() < 2) {
                throw new IllegalArgumentException("classes must be >= 2, got " + targets.count());
            }
            long n = images.size(0);
            int used = config.trainingLimit() == 0 ? (int) n : (int) Math.min(n, config.trainingLimit());
            Shape image = Shape.image((int) images.size(1), (int) images.size(2), (int) images.size(3));
            INDArray subset = images.get(NDArrayIndex.interval(0, used), NDArrayIndex.all(), NDArrayIndex.all(),
                    NDArrayIndex.all());
            INDArray flat = floatCopy(subset).reshape('c', used, image.size());
            requireUnitRange(flat, "images");
            float[] usedTargets = Arrays.copyOf(targets.values(), used * targets.count());
            String fingerprint = Judge.fingerprint(flat, usedTargets, target, targets.count(), image);
            String description = String.format(Locale.ROOT, "%d images %s, %d %s, data sha256 %s", used, image,
                    targets.count(), target == Target.CLASSES ? "classes" : "attributes", fingerprint.substring(0, 16));
            return new TrainingData(image, target, targets.count(), flat, usedTargets, fingerprint, description);
        }
    }

    /** The rows of a training batch, augmented on the host when the config asks for it: {@code [rows, C·H·W]}. */
    private static INDArray augmented(TrainingData data, int[] rows, Augmentation augmentation, Random rng, int imageSize) {
        INDArray flat = Nd4j.pullRows(data.flatImages, 1, rows);
        if (augmentation.isNone()) return flat;
        float[] pixels = flat.data().asFloat();
        flat.close();
        augmentation.apply(pixels, rows.length, data.image.dim(0), data.image.dim(1), data.image.dim(2), rng);
        return Nd4j.create(pixels, new long[]{rows.length, imageSize}, 'c');
    }

    /** SHA-256 over target kind, image shape, target count, the targets and the float32 pixel values (little-endian). */
    private static String fingerprint(INDArray flatFloat, float[] targets, Target target, int count, Shape image) {
        MessageDigest digest = sha256();
        int n = targets.length / count;
        digest.update(target.name().getBytes(StandardCharsets.US_ASCII));
        ByteBuffer header = ByteBuffer.allocate(4 * (5 + targets.length)).order(ByteOrder.LITTLE_ENDIAN);
        header.putInt(n).putInt(image.dim(0)).putInt(image.dim(1)).putInt(image.dim(2)).putInt(count);
        for (float t : targets) header.putFloat(t);
        digest.update(header.array());
        int chunkRows = Math.max(1, (1 << 20) / (int) Math.max(1, image.size()));
        for (int from = 0; from < n; from += chunkRows) {
            int to = Math.min(n, from + chunkRows);
            try (INDArray chunk = flatFloat.get(NDArrayIndex.interval(from, to), NDArrayIndex.all()).dup('c')) {
                float[] values = chunk.data().asFloat();
                ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                b.asFloatBuffer().put(values);
                digest.update(b.array());
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
    }

    /** A new float32 c-order copy of {@code a} (the caller owns and may close it). */
    private static INDArray floatCopy(INDArray a) {
        if (a.dataType() == DTYPE) return a.dup('c');
        try (INDArray c = a.dup('c')) {
            return c.castTo(DTYPE);
        }
    }

    private static void requireUnitRange(INDArray a, String what) {
        double min = a.minNumber().doubleValue(), max = a.maxNumber().doubleValue();
        if (!(min >= -1e-6 && max <= 1 + 1e-6)) {
            throw new IllegalArgumentException(what + ": pixels must be in [0,1], found values in [" + min + ", "
                    + max + "]" + (Double.isNaN(min) || Double.isNaN(max) ? " (NaN)" : ""));
        }
    }

    private static double seconds(long startNanos) { return (System.nanoTime() - startNanos) / 1e9; }
}
