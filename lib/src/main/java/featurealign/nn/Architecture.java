package featurealign.nn;

import featurealign.nn.LayerSpec.*;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The paper's family of networks, as data (docs/method.md §8). One trunk pattern serves the encoder, the discriminator and
 * the local-training ("memory") network: for every stage width w, a 3×3 stride-1 conv to w and a 3×3 stride-2 conv,
 * each followed by the activation; then flatten and a dense layer to {@code hidden} features with the activation. The
 * generator refines a feature-alignment output {@code x̂} given the conditioning vector, which a dense layer turns into
 * one extra image channel.
 *
 * @param name              short name used in messages and file names ("mnist", "cifar10", ...)
 * @param image             input image shape [C,H,W], pixels in [0,1]
 * @param stageWidths       channel widths of the conv stages; each stage halves H and W
 * @param hidden            width of the trunk output h
 * @param latent            latent size Z
 * @param conditioning      length of the conditioning vector (10 for one-hot classes, 0 for unconditioned data)
 * @param generatorKernel   kernel of the generator convs (3 for MNIST, 9 for CIFAR-10)
 * @param generatorWidth    channels of the generator's hidden convs
 * @param generatorLabelActivation whether the generator's label map has a leaky ReLU (CIFAR-10) or not (MNIST)
 * @param slope             leaky ReLU slope (PyTorch default 0.01)
 */
public record Architecture(String name, Shape image, int[] stageWidths, int hidden, int latent, int conditioning,
                           int generatorKernel, int generatorWidth, boolean generatorLabelActivation, double slope) {

    public Architecture {
        if (!image.isImage()) throw new IllegalArgumentException("architecture image must be [C,H,W], got " + image);
        if (stageWidths.length == 0) throw new IllegalArgumentException("architecture needs at least one stage");
        if (latent <= 0 || hidden <= 0 || conditioning < 0 || generatorKernel % 2 == 0 || generatorWidth <= 0) {
            throw new IllegalArgumentException("invalid architecture sizes for " + name);
        }
        stageWidths = stageWidths.clone();
    }

    /** MNIST, 1×28×28, Z = 128 (docs/method.md §8.1). */
    public static final Architecture MNIST = new Architecture("mnist", Shape.image(1, 28, 28), new int[]{32, 64},
            4096, 128, 10, 3, 128, false, 0.01);

    /** CIFAR-10, 3×32×32, Z = 128 (docs/method.md §8.2). */
    public static final Architecture CIFAR10 = new Architecture("cifar10", Shape.image(3, 32, 32),
            new int[]{32, 64, 128}, 2048, 128, 10, 9, 128, true, 0.01);

    /**
     * CelebA at 64×64 following the same pattern (the proposal of docs/method.md §8.3: the paper's own settings could not
     * be read): four stages 32-64-128-256 down to 4×4, h = 2048, Z = 128, the CIFAR-10 generator.
     *
     * @param conditioning 0 for unconditioned faces, or the number of attributes used as conditioning
     */
    public static Architecture celeba64(int conditioning) {
        return new Architecture("celeba64", Shape.image(3, 64, 64), new int[]{32, 64, 128, 256}, 2048, 128,
                conditioning, 9, 128, true, 0.01);
    }

    @Override public int[] stageWidths() { return stageWidths.clone(); }

    public Architecture withLatent(int z) {
        return new Architecture(name, image, stageWidths, hidden, z, conditioning, generatorKernel, generatorWidth,
                generatorLabelActivation, slope);
    }

    public Architecture withHidden(int h) {
        return new Architecture(name, image, stageWidths, h, latent, conditioning, generatorKernel, generatorWidth,
                generatorLabelActivation, slope);
    }

    public Architecture withStageWidths(int... widths) {
        return new Architecture(name, image, widths, hidden, latent, conditioning, generatorKernel, generatorWidth,
                generatorLabelActivation, slope);
    }

    public Architecture withConditioning(int c) {
        return new Architecture(name, image, stageWidths, hidden, latent, c, generatorKernel, generatorWidth,
                generatorLabelActivation, slope);
    }

    public Architecture withGenerator(int kernel, int width) {
        return new Architecture(name, image, stageWidths, hidden, latent, conditioning, kernel, width,
                generatorLabelActivation, slope);
    }

    /** The shared trunk: conv stages, flatten, dense to {@code hidden}, each followed by {@code activation}. */
    public NetworkSpec trunk(String netName, LayerSpec activation) {
        return convTrunk(netName, image, stageWidths, hidden, activation);
    }

    /**
     * The kit's convolutional trunk, for any image {@code [C,H,W]}: per stage width w, conv 3×3 stride 1 → w and conv
     * 3×3 stride 2 → w; then flatten and dense → {@code hidden}; each conv and the dense followed by {@code activation}.
     * The encoder, the discriminator, the memory network and the judge are this trunk with their own heads.
     */
    public static NetworkSpec convTrunk(String netName, Shape image, int[] stageWidths, int hidden, LayerSpec activation) {
        List<LayerSpec> layers = new ArrayList<>();
        int c = image.dim(0);
        Shape s = image;
        for (int w : stageWidths) {
            layers.add(new Conv2d(c, w, 3, 1, 1));
            layers.add(activation);
            layers.add(new Conv2d(w, w, 3, 2, 1));
            layers.add(activation);
            c = w;
        }
        for (LayerSpec l : layers) s = l.outputShape(s);
        layers.add(new Flatten());
        layers.add(new Dense((int) s.size(), hidden));
        layers.add(activation);
        return new NetworkSpec(netName, image, layers);
    }

    /** Encoder trunk (leaky ReLU) whose output h feeds the mean, log-variance and conditioning heads. */
    public NetworkSpec encoderTrunk() { return trunk("encoder", new LeakyRelu(slope)); }

    /** A one-layer head {@code Dense(hidden → out)} on h. */
    public NetworkSpec head(String netName, int out) {
        return new NetworkSpec(netName, Shape.vector(hidden), List.of(new Dense(hidden, out)));
    }

    /** Least-squares GAN critic: the trunk with its own weights, then {@code Dense(hidden → 1)}, unbounded. */
    public NetworkSpec discriminator() {
        return trunk("discriminator", new LeakyRelu(slope)).then("discriminator", List.of(new Dense(hidden, 1)));
    }

    /** Local-training network: the trunk with asinh activations, then {@code Dense(hidden → latent)}. */
    public NetworkSpec memory() {
        return trunk("memory", new Asinh()).then("memory", List.of(new Dense(hidden, latent)));
    }

    /** The generator's map from the conditioning vector to one image channel; null when unconditioned. */
    public NetworkSpec generatorLabelMap() {
        if (conditioning == 0) return null;
        int h = image.dim(1), w = image.dim(2);
        List<LayerSpec> layers = new ArrayList<>(List.of(new Dense(conditioning, h * w)));
        if (generatorLabelActivation) layers.add(new LeakyRelu(slope));
        layers.add(new Reshape(Shape.image(1, h, w)));
        return new NetworkSpec("generator_label", Shape.vector(conditioning), layers);
    }

    /** The generator body on [x̂, label channel]: two conv+BN+leaky ReLU blocks, then conv + sigmoid to an image. */
    public NetworkSpec generatorBody() {
        int c = image.dim(0), in = c + (conditioning > 0 ? 1 : 0), k = generatorKernel, p = k / 2;
        return new NetworkSpec("generator", Shape.image(in, image.dim(1), image.dim(2)), List.of(
                new Conv2d(in, generatorWidth, k, 1, p), new BatchNorm(generatorWidth), new LeakyRelu(slope),
                new Conv2d(generatorWidth, generatorWidth, k, 1, p), new BatchNorm(generatorWidth), new LeakyRelu(slope),
                new Conv2d(generatorWidth, c, k, 1, p), new Sigmoid()));
    }

    /** Kernel of the residual refiner's convs: 3×3 at full resolution keeps δ cheap on a CPU (issue 18). */
    public static final int RESIDUAL_KERNEL = 3;

    /**
     * The residual refiner's δ on [r̃, label channel] (docs/method.md §14, {@code gan.refiner = RESIDUAL}): two 3×3
     * convs of {@code generatorWidth} channels with leaky ReLU and no batch norm (the same statistics in training and
     * sampling), then a 3×3 conv to the image's channels with no activation; the squash is applied to r̃ + δ outside.
     */
    public NetworkSpec residualRefiner() {
        int c = image.dim(0), in = c + (conditioning > 0 ? 1 : 0), k = RESIDUAL_KERNEL, p = k / 2;
        return new NetworkSpec("refiner", Shape.image(in, image.dim(1), image.dim(2)), List.of(
                new Conv2d(in, generatorWidth, k, 1, p), new LeakyRelu(slope),
                new Conv2d(generatorWidth, generatorWidth, k, 1, p), new LeakyRelu(slope),
                new Conv2d(generatorWidth, c, k, 1, p)));
    }

    public long encoderParameterCount() {
        return encoderTrunk().parameterCount() + 2 * head("m", latent).parameterCount()
                + (conditioning > 0 ? head("c", conditioning).parameterCount() : 0);
    }

    public long generatorParameterCount() {
        NetworkSpec map = generatorLabelMap();
        return generatorBody().parameterCount() + (map == null ? 0 : map.parameterCount());
    }

    @Override public boolean equals(Object o) {
        return o instanceof Architecture a && name.equals(a.name) && image.equals(a.image)
                && Arrays.equals(stageWidths, a.stageWidths) && hidden == a.hidden && latent == a.latent
                && conditioning == a.conditioning && generatorKernel == a.generatorKernel
                && generatorWidth == a.generatorWidth && generatorLabelActivation == a.generatorLabelActivation
                && slope == a.slope;
    }

    @Override public int hashCode() { return name.hashCode() * 31 + Arrays.hashCode(stageWidths); }

    @Override public String toString() {
        return "Architecture[" + name + ", image " + image + ", stages " + Arrays.toString(stageWidths) + ", hidden "
                + hidden + ", Z " + latent + ", conditioning " + conditioning + "]";
    }
}
