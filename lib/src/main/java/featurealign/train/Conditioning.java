package featurealign.train;

import featurealign.data.ImageSet;
import featurealign.nn.Architecture;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The conditioning vector of a batch: one-hot class labels for labelled data (MNIST, CIFAR-10), or the first K ±1
 * attributes mapped to {0,1} for attribute data (CelebA conditioned on attributes); none when the architecture is
 * unconditioned.
 */
public final class Conditioning {
    private Conditioning() {}

    /** Checks that {@code data} can condition {@code arch}, with a message that says what is missing. */
    public static void check(Architecture arch, ImageSet data) {
        int k = arch.conditioning();
        if (k == 0) return;
        if (data.hasLabels()) {
            if (data.classCount() != k) {
                throw new IllegalArgumentException(data.name() + " has " + data.classCount() + " classes, the architecture "
                        + "is conditioned on " + k + " values");
            }
        } else if (data.hasAttributes()) {
            if (data.attributeNames().size() < k) {
                throw new IllegalArgumentException(data.name() + " has " + data.attributeNames().size()
                        + " attributes, the architecture is conditioned on " + k);
            }
        } else {
            throw new IllegalArgumentException(data.name() + " has neither labels nor attributes, but the architecture is"
                    + " conditioned on " + k + " values (use conditioning 0)");
        }
    }

    /** {@code [n,K]} conditioning of the images at {@code indices}, or null when unconditioned. */
    public static INDArray of(Architecture arch, ImageSet data, int[] indices, DataType dataType) {
        int k = arch.conditioning();
        if (k == 0) return null;
        if (data.hasLabels()) return data.labelsOneHot(indices, k, dataType);
        INDArray attrs = data.attributesMatrix(indices, DataType.DOUBLE);
        INDArray first = attrs.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                org.nd4j.linalg.indexing.NDArrayIndex.interval(0, k));
        return first.add(1.0).muli(0.5).castTo(dataType); // ±1 -> {0,1}
    }

    /** One-hot rows for class ids: {@code [labels.length, classes]}. */
    public static INDArray oneHot(int[] labels, int classes, DataType dataType) {
        INDArray m = org.nd4j.linalg.factory.Nd4j.zeros(dataType, labels.length, classes);
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= classes) {
                throw new IllegalArgumentException("label " + labels[i] + " at " + i + " is outside 0.." + (classes - 1));
            }
            m.putScalar(i, labels[i], 1.0);
        }
        return m;
    }
}
