package featurealign.train;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.*;
import java.util.Random;

/**
 * The seeded random stream of a training run (ε, β, prior z, random r0, labels for samples). It is a plain
 * {@link Random}, so its exact state can be saved in a checkpoint and a resumed run draws the same numbers.
 */
public final class Noise {
    private Random random;

    public Noise(long seed) { this.random = new Random(seed); }

    /** Standard normal values of the given shape. */
    public INDArray gaussian(DataType dataType, long... shape) {
        double[] v = new double[Math.toIntExact(length(shape))];
        for (int i = 0; i < v.length; i++) v[i] = random.nextGaussian();
        return Nd4j.create(v, shape, 'c').castTo(dataType);
    }

    /** Values uniform in [0,1) of the given shape. */
    public INDArray uniform(DataType dataType, long... shape) {
        double[] v = new double[Math.toIntExact(length(shape))];
        for (int i = 0; i < v.length; i++) v[i] = random.nextDouble();
        return Nd4j.create(v, shape, 'c').castTo(dataType);
    }

    public int nextInt(int bound) { return random.nextInt(bound); }

    public long nextLong() { return random.nextLong(); }

    /** The exact generator state, for a checkpoint. */
    public byte[] state() {
        try (ByteArrayOutputStream b = new ByteArrayOutputStream(); ObjectOutputStream o = new ObjectOutputStream(b)) {
            o.writeObject(random);
            o.flush();
            return b.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Restores a state from {@link #state()}. */
    public void restore(byte[] state) {
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(state))) {
            Object o = in.readObject();
            if (!(o instanceof Random r)) throw new IllegalArgumentException("noise state is not a java.util.Random");
            random = r;
        } catch (IOException | ClassNotFoundException e) {
            throw new IllegalArgumentException("noise state cannot be read: " + e.getMessage(), e);
        }
    }

    private static long length(long[] shape) {
        long n = 1;
        for (long s : shape) n *= s;
        return n;
    }
}
