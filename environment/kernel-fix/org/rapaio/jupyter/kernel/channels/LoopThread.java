package org.rapaio.jupyter.kernel.channels;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;

/**
 * Replacement for rapaio-jupyter-kernel 3.0.1's channel loop thread, placed before the kernel jar on the class
 * path by environment/setup (for that version only). Same constructor and methods; two fixes:
 *
 * <ul>
 *   <li>{@code running} is set before the thread starts. The original sets it after {@code Thread.start()}, so
 *       a loop that got scheduled first saw {@code false} and ended at once. Measured on 2-core machines: one
 *       kernel start in four or five lost its shell, control or heartbeat loop; without the shell loop the
 *       kernel never answers and the notebook waits forever.</li>
 *   <li>An exception thrown while handling one message is reported and the loop goes on. The original let it
 *       end the thread: a kernel_info request that arrives before the kernel has registered its handlers threw
 *       a NullPointerException and left the kernel deaf. Jupyter repeats that request, so the next one is
 *       answered.</li>
 * </ul>
 */
public final class LoopThread extends Thread {

    // The process's own stderr (the kernel log), not System.err, which the kernel points at notebook cells.
    private static final PrintStream KERNEL_LOG = new PrintStream(new FileOutputStream(FileDescriptor.err), true);

    private volatile boolean running;
    private final long sleep;
    private final Runnable loopBody;

    public LoopThread(String name, long sleep, Runnable loopBody) {
        super(name);
        this.sleep = sleep;
        this.loopBody = loopBody;
    }

    @Override
    public void run() {
        while (running) {
            try {
                loopBody.run();
            } catch (RuntimeException error) {
                KERNEL_LOG.println("[" + getName() + "] message handling failed, channel keeps running: " + error);
            }
            try {
                Thread.sleep(sleep);
            } catch (InterruptedException interrupted) {
                running = false;
                return;
            }
        }
    }

    @Override
    public synchronized void start() {
        running = true;
        super.start();
    }

    public void shutdown() {
        running = false;
    }
}
