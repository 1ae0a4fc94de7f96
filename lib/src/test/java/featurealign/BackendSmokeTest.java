package featurealign;

import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import static org.junit.jupiter.api.Assertions.*;

class BackendSmokeTest {
    @Test
    void sameDiffComputesAGradient() {
        SameDiff sd = SameDiff.create();
        SDVariable w = sd.var("w", Nd4j.createFromArray(new double[]{1, 2, 3}));
        SDVariable loss = w.mul(w).sum().rename("loss");
        var grads = sd.calculateGradients(null, "w");
        assertArrayEquals(new double[]{2, 4, 6}, grads.get("w").toDoubleVector(), 1e-12);
        System.out.println(Nd4j.getBackend().getClass().getName() + " " + Nd4j.getExecutioner().getEnvironmentInformation());
    }
}
