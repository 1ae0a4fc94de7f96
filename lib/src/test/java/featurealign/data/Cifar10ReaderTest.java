package featurealign.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Cifar10ReaderTest {
    @TempDir
    Path dir;

    @Test
    void readsWhicheverTrainBatchesExistInOrder() throws IOException {
        byte[] first = Fixtures.cifarRecords(new int[]{3, 9}, 1);
        byte[] third = Fixtures.cifarRecords(new int[]{0}, 2);
        Files.write(dir.resolve("data_batch_1.bin"), first);
        Files.write(dir.resolve("data_batch_3.bin"), third);
        ImageSet train = Cifar10Reader.readTrain(dir);
        assertEquals(3, train.size());
        assertEquals(3, train.channels());
        assertEquals(32, train.height());
        assertEquals(32, train.width());
        assertEquals(3, train.label(0));
        assertEquals(9, train.label(1));
        assertEquals(0, train.label(2));
        // Record bytes 1..3072 are the CHW image as is: R plane, G plane, B plane.
        assertArrayEquals(Arrays.copyOfRange(third, 1, 3073), train.pixels(2));
        assertEquals(first[1 + 1024 + 5 * 32 + 7] & 0xff, train.pixel(0, 1, 5, 7));
        assertEquals(Cifar10Reader.CLASS_NAMES, train.classNames());
        assertTrue(train.name().contains("data_batch_3.bin"), train.name());
    }

    @Test
    void classNamesComeFromTheMetaFile() throws IOException {
        Files.write(dir.resolve("test_batch.bin"), Fixtures.cifarRecords(new int[]{1}, 3));
        Files.writeString(dir.resolve("batches.meta.txt"),
                "plane\r\ncar\r\nbird\r\ncat\r\ndeer\r\ndog\r\nfrog\r\nhorse\r\nship\r\ntruck\r\n\r\n");
        ImageSet test = Cifar10Reader.readTest(dir);
        assertEquals("car", test.classNames().get(test.label(0)));
        Files.writeString(dir.resolve("batches.meta.txt"), "a\nb\n");
        DataFormatException e = assertThrows(DataFormatException.class, () -> Cifar10Reader.readTest(dir));
        assertTrue(e.getMessage().contains("batches.meta.txt") && e.getMessage().contains("expected 10 class names"),
                e.getMessage());
    }

    @Test
    void errorsNameTheFile() throws IOException {
        DataFormatException none = assertThrows(DataFormatException.class, () -> Cifar10Reader.readTrain(dir));
        assertTrue(none.getMessage().contains("data_batch_1.bin .. data_batch_5.bin"), none.getMessage());
        assertThrows(DataFormatException.class, () -> Cifar10Reader.readTest(dir));

        Path batch = dir.resolve("data_batch_1.bin");
        byte[] records = Fixtures.cifarRecords(new int[]{1, 2}, 4);
        Files.write(batch, Arrays.copyOf(records, records.length - 1));
        DataFormatException partial = assertThrows(DataFormatException.class, () -> Cifar10Reader.readTrain(dir));
        assertTrue(partial.getMessage().startsWith(batch.toString()), partial.getMessage());
        assertTrue(partial.getMessage().contains("1 records + 3072 extra bytes"), partial.getMessage());

        records[Cifar10Reader.RECORD_BYTES] = 10;
        Files.write(batch, records);
        DataFormatException label = assertThrows(DataFormatException.class, () -> Cifar10Reader.readTrain(dir));
        assertTrue(label.getMessage().contains("record 1 (byte offset 3073) has label 10"), label.getMessage());

        Files.write(batch, new byte[0]);
        assertThrows(DataFormatException.class, () -> Cifar10Reader.readTrain(dir));
    }
}
