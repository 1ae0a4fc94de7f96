package featurealign.experiment;

import featurealign.train.Conditioning;
import featurealign.train.FaModel;
import featurealign.train.Noise;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * What users look at after training (docs/method.md §7), as image batches {@code [N,C,H,W]} in [0,1]: class-conditional
 * samples and the 11×11 latent-and-label interpolation between four images.
 */
public final class Inspection {
    private Inspection() {}

    /** FA-only and GAN-refined versions of the same images (refined is null when the model has no generator). */
    public record Images(INDArray featureAlignment, INDArray refined) {}

    /** Conditioning rows for labels cycling 0..classes−1: {@code [n, classes]}. */
    public static INDArray cyclingLabels(int n, int classes, DataType dt) {
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) labels[i] = i % classes;
        return Conditioning.oneHot(labels, classes, dt);
    }

    /** Labels 0..classes−1 cycling, as class ids. */
    public static int[] cyclingLabelIds(int n, int classes) {
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) labels[i] = i % classes;
        return labels;
    }

    /**
     * One row per class, {@code perClass} prior samples in each: image {@code r·perClass + c} has class r. Unconditioned
     * models get {@code rows} rows of plain samples.
     */
    public static Images classRows(FaModel model, int rows, int perClass, Noise noise) {
        int k = model.architecture().conditioning();
        int n = rows * perClass;
        INDArray cond = null;
        if (k > 0) {
            int[] labels = new int[n];
            for (int i = 0; i < n; i++) labels[i] = (i / perClass) % k;
            cond = Conditioning.oneHot(labels, k, model.config().dataType());
        }
        FaModel.Aligned fa = model.sampleWithProbe(n, cond, noise, model.samplingPrior());
        INDArray refined = model.hasGan() ? model.refine(fa, cond) : null;
        fa.probe().close();
        return new Images(fa.image(), refined);
    }

    /**
     * The 11×11 interpolation of the reference's {@code interpolation.py}: latents z_k = μ_k + σ_k·ε of four images
     * (k = 0..3) and their conditioning y_k are mixed bilinearly,
     * {@code p = (1−α)[(1−β)z0 + βz1] + α[(1−β)z2 + βz3]} (and likewise the labels, which become soft), for
     * α (rows) and β (columns) in {0, 0.1, …, 1}; each mix is aligned from r0 = 0 and squashed, then refined by G.
     * Corners: top-left image 0, top-right 1, bottom-left 2, bottom-right 3.
     *
     * @param images    {@code [4,C,H,W]}
     * @param condition {@code [4,K]} or null when unconditioned
     * @param steps     points per axis (the reference: 11)
     */
    public static Images interpolation(FaModel model, INDArray images, INDArray condition, int steps, Noise noise) {
        if (images.size(0) != 4) throw new IllegalArgumentException("interpolation needs exactly 4 images, got " + images.size(0));
        if (steps < 2) throw new IllegalArgumentException("interpolation needs at least 2 steps per axis, got " + steps);
        DataType dt = model.config().dataType();
        FaModel.Posterior p = model.encode(images);
        INDArray z = p.mean().add(Transforms.exp(p.logVariance().mul(0.5), false).muli(noise.gaussian(dt, p.mean().shape())));
        int n = steps * steps;
        INDArray mixZ = Nd4j.zeros(dt, n, z.size(1));
        INDArray mixY = condition == null ? null : Nd4j.zeros(dt, n, condition.size(1));
        for (int i = 0; i < steps; i++) {
            double a = i / (double) (steps - 1);
            for (int j = 0; j < steps; j++) {
                double b = j / (double) (steps - 1);
                double[] w = {(1 - a) * (1 - b), (1 - a) * b, a * (1 - b), a * b};
                mixZ.getRow(i * steps + j).assign(mix(z, w));
                if (mixY != null) mixY.getRow(i * steps + j).assign(mix(condition.castTo(dt), w));
            }
        }
        FaModel.Aligned fa = model.alignWithProbe(mixZ, mixY, noise);
        INDArray refined = model.hasGan() ? model.refine(fa, mixY) : null;
        fa.probe().close();
        return new Images(fa.image(), refined);
    }

    private static INDArray mix(INDArray rows, double[] w) {
        INDArray out = rows.getRow(0).mul(w[0]);
        for (int k = 1; k < 4; k++) out.addi(rows.getRow(k).mul(w[k]));
        return out;
    }
}
