package featurealign.eval;

import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.EigenDecomposition;
import org.apache.commons.math3.linear.RealMatrix;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Arrays;
import java.util.Objects;

/**
 * Fréchet distance between two feature sets, each summarised as a Gaussian (mean and covariance) — the quantity
 * behind FID, here in whatever feature space the caller provides:
 * <pre>  FD = ‖μ1 − μ2‖² + Tr(Σ1 + Σ2 − 2·(Σ1·Σ2)^½)</pre>
 * Tr((Σ1·Σ2)^½) is computed as Tr((Σ1^½·Σ2·Σ1^½)^½), whose argument is symmetric positive semi-definite, with
 * eigendecompositions (commons-math3) and tiny negative eigenvalues from rounding clipped to 0; so singular
 * covariances (fewer samples than dimensions) are fine. All in double precision. With singular covariances the
 * result is only accurate to about 1e-8 relative, as the square root of rounding-level eigenvalues (~1e-16) is
 * ~1e-8 (scipy's {@code sqrtm} has the same limit). Cost O(N·D² + D³): meant for feature dimensions up to a few
 * hundred.
 */
public final class FrechetDistance {

    /**
     * Mean and covariance of a feature set; the covariance is unbiased (divides by N − 1), as {@code numpy.cov}.
     *
     * @param mean       length D
     * @param covariance D×D, symmetric
     */
    public record Statistics(double[] mean, double[][] covariance) {

        public Statistics {
            Objects.requireNonNull(mean, "mean");
            Objects.requireNonNull(covariance, "covariance");
            if (mean.length == 0 || covariance.length != mean.length) {
                throw new IllegalArgumentException("covariance must be D x D for a mean of length D >= 1; got mean "
                        + "length " + mean.length + " and " + covariance.length + " covariance rows");
            }
            for (double[] row : covariance) {
                if (row.length != mean.length) {
                    throw new IllegalArgumentException("covariance must be " + mean.length + " x " + mean.length
                            + "; found a row of length " + row.length);
                }
            }
        }

        /**
         * @param features {@code [N,D]} feature vectors, one per row, N ≥ 2, finite; any float data type
         */
        public static Statistics of(INDArray features) {
            Objects.requireNonNull(features, "features");
            if (features.rank() != 2) {
                throw new IllegalArgumentException("features must be [N,D] (rank 2); got shape "
                        + Arrays.toString(features.shape()));
            }
            if (features.length() > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("features " + Arrays.toString(features.shape())
                        + " hold more than 2^31 values; compute Statistics on a subset");
            }
            // One bulk copy (dup gives a packed C-order buffer); toDoubleMatrix() is much slower on large sets.
            double[] values = features.dup('c').data().asDouble();
            int count = Math.toIntExact(features.size(0));
            int dimension = Math.toIntExact(features.size(1));
            double[][] rows = new double[count][];
            for (int n = 0; n < count; n++) {
                rows[n] = Arrays.copyOfRange(values, n * dimension, (n + 1) * dimension);
            }
            return of(rows);
        }

        /** @param rows N ≥ 2 feature vectors of equal length D ≥ 1, finite */
        public static Statistics of(double[][] rows) {
            Objects.requireNonNull(rows, "rows");
            int count = rows.length;
            if (count < 2) {
                throw new IllegalArgumentException("features need at least 2 rows for a covariance; got " + count);
            }
            int dimension = rows[0].length;
            double[] mean = new double[dimension];
            for (int n = 0; n < count; n++) {
                if (rows[n].length != dimension) {
                    throw new IllegalArgumentException("feature row " + n + " has length " + rows[n].length
                            + "; expected " + dimension + " like row 0");
                }
                for (int d = 0; d < dimension; d++) {
                    if (!Double.isFinite(rows[n][d])) {
                        throw new IllegalArgumentException("feature row " + n + ", column " + d + " is "
                                + rows[n][d] + "; features must be finite");
                    }
                    mean[d] += rows[n][d];
                }
            }
            for (int d = 0; d < dimension; d++) {
                mean[d] /= count;
            }
            double[][] covariance = new double[dimension][dimension];
            double[] centred = new double[dimension];
            for (double[] row : rows) {
                for (int d = 0; d < dimension; d++) {
                    centred[d] = row[d] - mean[d];
                }
                for (int p = 0; p < dimension; p++) {
                    for (int q = p; q < dimension; q++) {
                        covariance[p][q] += centred[p] * centred[q];
                    }
                }
            }
            for (int p = 0; p < dimension; p++) {
                for (int q = p; q < dimension; q++) {
                    covariance[p][q] /= count - 1;
                    covariance[q][p] = covariance[p][q];
                }
            }
            return new Statistics(mean, covariance);
        }

        /** @return D, the feature dimension */
        public int dimension() {
            return mean.length;
        }
    }

    private FrechetDistance() {
    }

    /**
     * @param features1 {@code [N1,D]}, N1 ≥ 2
     * @param features2 {@code [N2,D]}, N2 ≥ 2, same D
     * @return the Fréchet distance (squared units of the features), ≥ 0
     */
    public static double between(INDArray features1, INDArray features2) {
        return between(Statistics.of(features1), Statistics.of(features2));
    }

    /**
     * @return the Fréchet distance between the Gaussians with these statistics, ≥ 0 (rounding can push the exact
     *         value of identical statistics a hair below 0; it is clipped)
     */
    public static double between(Statistics first, Statistics second) {
        Objects.requireNonNull(first, "first");
        Objects.requireNonNull(second, "second");
        if (first.dimension() != second.dimension()) {
            throw new IllegalArgumentException("feature dimensions differ: " + first.dimension() + " vs "
                    + second.dimension());
        }
        double meanTerm = 0;
        double traces = 0;
        for (int d = 0; d < first.dimension(); d++) {
            double difference = first.mean()[d] - second.mean()[d];
            meanTerm += difference * difference;
            traces += first.covariance()[d][d] + second.covariance()[d][d];
        }
        RealMatrix sqrtFirst = symmetricSquareRoot(new Array2DRowRealMatrix(first.covariance()));
        RealMatrix product = sqrtFirst.multiply(new Array2DRowRealMatrix(second.covariance())).multiply(sqrtFirst);
        double traceOfSquareRoot = 0;
        for (double eigenvalue : new EigenDecomposition(symmetrised(product)).getRealEigenvalues()) {
            traceOfSquareRoot += Math.sqrt(Math.max(eigenvalue, 0));
        }
        return Math.max(0, meanTerm + traces - 2 * traceOfSquareRoot);
    }

    /** V·diag(√max(λ, 0))·Vᵀ of a symmetric positive semi-definite matrix. */
    private static RealMatrix symmetricSquareRoot(RealMatrix matrix) {
        EigenDecomposition eigen = new EigenDecomposition(symmetrised(matrix));
        RealMatrix vectors = eigen.getV();
        double[] eigenvalues = eigen.getRealEigenvalues();
        RealMatrix scaled = vectors.copy();
        for (int column = 0; column < eigenvalues.length; column++) {
            double root = Math.sqrt(Math.max(eigenvalues[column], 0));
            for (int row = 0; row < eigenvalues.length; row++) {
                scaled.multiplyEntry(row, column, root);
            }
        }
        return scaled.multiply(vectors.transpose());
    }

    /** (A + Aᵀ)/2: removes rounding asymmetry so commons-math takes its symmetric (real, orthogonal) path. */
    private static RealMatrix symmetrised(RealMatrix matrix) {
        return matrix.add(matrix.transpose()).scalarMultiply(0.5);
    }
}
