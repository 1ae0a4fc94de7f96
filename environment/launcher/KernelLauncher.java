import java.util.Set;

/**
 * Starts rapaio-jupyter-kernel 3.0.1 and makes a broken start-up visible to Jupyter as a dead kernel, so the
 * notebook server's restarter (or environment/execute-notebooks) starts a fresh one instead of hanging.
 *
 * <p>Why: the kernel serves the shell, control and heartbeat channels from three loop threads that end silently
 * when interrupted. Measured on the 2-core machines this kit targets, in roughly one start in four one of them
 * ends within about 100 ms of starting; when it is the shell loop, the kernel never answers kernel_info and the
 * notebook waits forever. This launcher watches those threads for a short while after they appear and exits
 * with status {@value #EXIT_BROKEN_START} if one of them ended while the others still run. Nothing else about
 * the kernel changes: it then hands over to the kernel's own main method in this same JVM.
 *
 * <p>Only for the kernel version this was measured on: environment/setup uses it for 3.0.1 and starts other
 * versions with {@code java -jar} directly.
 */
public final class KernelLauncher {

    static final String LOOP_THREAD_CLASS = "org.rapaio.jupyter.kernel.channels.LoopThread";
    static final int CHANNEL_LOOPS = 3;                  // shell, control, heartbeat
    static final long SETTLE_MILLIS = 1_500;             // deaths seen so far came within ~100 ms of the start
    static final long STABLE_MILLIS = 500;               // a shutdown ends all loops within ~100 ms; a fault leaves some
    static final long WATCH_MILLIS = 10_000;
    static final long GIVE_UP_WAITING_MILLIS = 300_000;  // loops never appeared: the kernel failed some other way
    static final int EXIT_BROKEN_START = 75;
    static final String MARKER = "featurealign-kernel-launcher:";

    private KernelLauncher() {
    }

    public static void main(String[] args) throws Exception {
        Thread watchdog = new Thread(KernelLauncher::watchStartUp, "kernel-start-up-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        org.rapaio.jupyter.kernel.MainApp.main(args);
    }

    private static void watchStartUp() {
        long started = System.nanoTime();
        long firstLoopSeen = -1;
        long shortSince = -1;
        while (true) {
            if (!sleep(20)) {
                return;
            }
            long now = System.nanoTime();
            int alive = liveChannelLoops();
            if (firstLoopSeen < 0) {
                if (alive > 0) {
                    firstLoopSeen = now;
                } else if (millis(now - started) > GIVE_UP_WAITING_MILLIS) {
                    return;
                }
                continue;
            }
            long sinceFirst = millis(now - firstLoopSeen);
            if (sinceFirst >= WATCH_MILLIS) {
                return;
            }
            boolean faulty = sinceFirst >= SETTLE_MILLIS && alive > 0 && alive < CHANNEL_LOOPS;
            if (!faulty) {
                shortSince = -1;
            } else if (shortSince < 0) {
                shortSince = now;
            } else if (millis(now - shortSince) >= STABLE_MILLIS) {
                System.err.println(MARKER + " only " + alive + " of " + CHANNEL_LOOPS + " channel loop threads of "
                        + "rapaio-jupyter-kernel are running after start-up (a known start-up fault); exiting with "
                        + "status " + EXIT_BROKEN_START + " so that Jupyter starts a fresh kernel.");
                System.err.flush();
                Runtime.getRuntime().halt(EXIT_BROKEN_START);
            }
        }
    }

    private static int liveChannelLoops() {
        Set<Thread> threads = Thread.getAllStackTraces().keySet();
        int count = 0;
        for (Thread thread : threads) {
            if (thread.isAlive() && thread.getClass().getName().equals(LOOP_THREAD_CLASS)) {
                count++;
            }
        }
        return count;
    }

    private static long millis(long nanos) {
        return nanos / 1_000_000;
    }

    private static boolean sleep(long millis) {
        try {
            Thread.sleep(millis);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
