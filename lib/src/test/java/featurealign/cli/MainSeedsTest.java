package featurealign.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The seeds command's options (the command itself runs SeedStudy, tested in featurealign.experiment). */
class MainSeedsTest {

    static String run(String... args) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertEquals(0, Main.run(args, new PrintStream(out, true), new PrintStream(new ByteArrayOutputStream())));
        return out.toString();
    }

    @Test
    void seedsIsListedAndHasHelp() throws Exception {
        assertTrue(run("--help").contains("seeds     train a profile for several seeds"));
        String help = run("seeds", "--help");
        assertTrue(help.contains("--seeds N") && help.contains("seeds.csv") && help.contains("--set KEY=VALUE"), help);
    }

    @Test
    void seedCountAndOutputFolderAreParsed() {
        Main.Options o = Main.Options.parse("seeds", List.of("--seeds", "5", "--out", "x", "--set", "sampling.prior=CLASS_GAUSSIAN"));
        assertEquals(5, o.seeds);
        assertEquals(Path.of("x"), o.out());
        assertEquals("CLASS_GAUSSIAN", o.config().samplingPrior().name());
        assertEquals(3, Main.Options.parse("seeds", List.of()).seeds, "three seeds by default");
        var zero = assertThrows(IllegalArgumentException.class, () -> Main.Options.parse("seeds", List.of("--seeds", "0")));
        assertTrue(zero.getMessage().contains("--seeds must be >= 1"), zero.getMessage());
        var word = assertThrows(IllegalArgumentException.class, () -> Main.Options.parse("seeds", List.of("--seeds", "three")));
        assertTrue(word.getMessage().contains("whole number"), word.getMessage());
    }
}
