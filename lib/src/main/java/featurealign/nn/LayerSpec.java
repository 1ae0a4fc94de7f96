package featurealign.nn;

/**
 * One layer of a network, as data. A spec knows its output shape and parameter count; {@link Network} turns specs into
 * SameDiff ops. Every spec except {@link BatchNorm} also has a transpose (vector-Jacobian product with respect to its
 * input), which feature alignment needs.
 */
public sealed interface LayerSpec {

    /** The output shape for a given input shape; throws {@link IllegalArgumentException} naming the layer if invalid. */
    Shape outputShape(Shape input);

    /** Number of trainable parameters. */
    default long parameterCount() { return 0; }

    /** Whether {@link Network#transpose} can pass through this layer. */
    default boolean transposable() { return true; }

    /** 2-D convolution over NCHW input, weights {@code [k,k,in,out]}, with bias. */
    record Conv2d(int inChannels, int outChannels, int kernel, int stride, int padding) implements LayerSpec {
        public Conv2d {
            if (inChannels <= 0 || outChannels <= 0 || kernel <= 0 || stride <= 0 || padding < 0) {
                throw new IllegalArgumentException("invalid " + this);
            }
        }

        @Override public Shape outputShape(Shape in) {
            if (!in.isImage() || in.dim(0) != inChannels) {
                throw new IllegalArgumentException(this + " expects input [" + inChannels + ",H,W], got " + in);
            }
            int h = outSize(in.dim(1)), w = outSize(in.dim(2));
            if (h <= 0 || w <= 0) throw new IllegalArgumentException(this + ": input " + in + " is too small");
            return Shape.image(outChannels, h, w);
        }

        int outSize(int in) { return (in + 2 * padding - kernel) / stride + 1; }

        @Override public long parameterCount() { return (long) kernel * kernel * inChannels * outChannels + outChannels; }

        long fanIn() { return (long) inChannels * kernel * kernel; }
    }

    /** Fully connected layer {@code x·W + b}, weights {@code [in,out]}. */
    record Dense(int in, int out) implements LayerSpec {
        public Dense {
            if (in <= 0 || out <= 0) throw new IllegalArgumentException("invalid " + this);
        }

        @Override public Shape outputShape(Shape input) {
            if (input.rank() != 1 || input.dim(0) != in) {
                throw new IllegalArgumentException(this + " expects input [" + in + "], got " + input);
            }
            return Shape.vector(out);
        }

        @Override public long parameterCount() { return (long) in * out + out; }
    }

    /** Leaky ReLU {@code max(x, slope·x)}; the paper uses PyTorch's default slope 0.01. */
    record LeakyRelu(double slope) implements LayerSpec {
        public LeakyRelu {
            if (!(slope >= 0 && slope < 1)) throw new IllegalArgumentException("leaky ReLU slope must be in [0,1), got " + slope);
        }

        @Override public Shape outputShape(Shape input) { return input; }
    }

    /** asinh, the activation of the local-training ("memory") network: asinh(0)=0, asinh'(0)=1, inverted by sinh. */
    record Asinh() implements LayerSpec {
        @Override public Shape outputShape(Shape input) { return input; }
    }

    record Sigmoid() implements LayerSpec {
        @Override public Shape outputShape(Shape input) { return input; }
    }

    record Tanh() implements LayerSpec {
        @Override public Shape outputShape(Shape input) { return input; }
    }

    /** Flattens {@code [C,H,W]} to {@code [C·H·W]} in C,H,W order (as PyTorch's nn.Flatten). */
    record Flatten() implements LayerSpec {
        @Override public Shape outputShape(Shape input) {
            long n = input.size();
            if (n > Integer.MAX_VALUE) throw new IllegalArgumentException("flatten: " + input + " is too large");
            return Shape.vector((int) n);
        }
    }

    /** Reshapes each sample to {@code target}, which must hold the same number of values. */
    record Reshape(Shape target) implements LayerSpec {
        @Override public Shape outputShape(Shape input) {
            if (input.size() != target.size()) {
                throw new IllegalArgumentException(this + ": cannot reshape " + input + " to " + target);
            }
            return target;
        }
    }

    /**
     * Batch normalisation over the channels of NCHW input (as PyTorch's BatchNorm2d: biased batch variance in training,
     * running statistics in evaluation). Forward only: it has no transpose.
     */
    record BatchNorm(int channels, double epsilon, double momentum) implements LayerSpec {
        public BatchNorm(int channels) { this(channels, 1e-5, 0.1); }

        @Override public Shape outputShape(Shape in) {
            if (!in.isImage() || in.dim(0) != channels) {
                throw new IllegalArgumentException(this + " expects input [" + channels + ",H,W], got " + in);
            }
            return in;
        }

        @Override public long parameterCount() { return 2L * channels; }

        @Override public boolean transposable() { return false; }
    }
}
