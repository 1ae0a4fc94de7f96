package featurealign.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/**
 * Seeded shuffled mini-batches: each epoch is a fresh permutation of the positions 0..size-1, cut into batches of
 * {@code batchSize}. The permutation depends only on (seed, epoch), so any epoch can be replayed (e.g. after
 * resuming from a checkpoint). The last, smaller batch is kept unless {@code dropLast} is set, as in the reference
 * (MNIST, batch 128: 469 batches per epoch, the last of 96 images). This is the library's one batch shuffler: training
 * runs, local training and the judges all draw their batches here.
 */
public final class Batches {

    /** The random stream that shuffles epoch {@code epoch} (a fresh generator per epoch). */
    @FunctionalInterface
    public interface EpochRandom {
        RandomGenerator forEpoch(int epoch);
    }

    private final int size;
    private final int batchSize;
    private final EpochRandom random;
    private final boolean dropLast;

    /**
     * @param size      number of items (positions 0..size-1), ≥ 0
     * @param batchSize items per batch, ≥ 1
     * @param seed      shuffle seed
     * @param dropLast  drop the last batch when it is smaller than {@code batchSize}
     */
    public Batches(int size, int batchSize, long seed, boolean dropLast) {
        // One independent stream per (seed, epoch): the epoch is mixed into the seed by a golden-ratio step.
        this(size, batchSize, dropLast, epoch -> new SplittableRandom(seed + 0x9E3779B97F4A7C15L * (epoch + 1L)));
    }

    /**
     * Batches shuffled by a stream of the caller's choosing (the judges keep the {@link java.util.Random} stream their
     * cached files were trained with).
     */
    public Batches(int size, int batchSize, boolean dropLast, EpochRandom random) {
        if (size < 0) {
            throw new IllegalArgumentException("size must be ≥ 0, got " + size);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be ≥ 1, got " + batchSize);
        }
        this.size = size;
        this.batchSize = batchSize;
        this.random = random;
        this.dropLast = dropLast;
    }

    /** Batches over all images of {@code set}, keeping the last partial batch. */
    public static Batches of(ImageSet set, int batchSize, long seed) {
        return new Batches(set.size(), batchSize, seed, false);
    }

    /** Number of batches in every epoch. */
    public int batchesPerEpoch() {
        return dropLast ? size / batchSize : (size + batchSize - 1) / batchSize;
    }

    public int batchSize() {
        return batchSize;
    }

    public int size() {
        return size;
    }

    /** The shuffled order of epoch {@code epoch} (≥ 0): a permutation of 0..size-1. */
    public int[] order(int epoch) {
        if (epoch < 0) {
            throw new IllegalArgumentException("epoch must be ≥ 0, got " + epoch);
        }
        int[] order = new int[size];
        Arrays.setAll(order, k -> k);
        RandomGenerator stream = random.forEpoch(epoch);
        for (int k = size - 1; k > 0; k--) {
            int j = stream.nextInt(k + 1);
            int t = order[k];
            order[k] = order[j];
            order[j] = t;
        }
        return order;
    }

    /** The batches of epoch {@code epoch}: index arrays (positions in the set), in training order. */
    public List<int[]> epoch(int epoch) {
        int[] order = order(epoch);
        int count = batchesPerEpoch();
        List<int[]> batches = new ArrayList<>(count);
        for (int b = 0; b < count; b++) {
            int from = b * batchSize;
            batches.add(Arrays.copyOfRange(order, from, Math.min(size, from + batchSize)));
        }
        return batches;
    }
}
