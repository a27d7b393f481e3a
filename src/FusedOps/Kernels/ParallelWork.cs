using System;
using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.ExceptionServices;
using System.Threading;

namespace FusedOps.Kernels;

/// <summary>A piece of work split into parts numbered 0 … parts − 1; <see cref="Execute"/> may run on any thread.</summary>
/// <remarks>
/// Cache one instance per calling thread and refill its fields per call, so a parallel call allocates nothing.
/// A part's result must depend only on its number (never on the thread that runs it or on how many
/// threads there are): then a fixed partition gives bitwise identical results for any degree of parallelism.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public abstract class ParallelJob
{
    // Far above any part number: a worker that arrives after a run (or before the next) claims nothing.
    private const int Closed = 1 << 30;

    private int _parts;
    private int _next = Closed;
    private int _remaining;
    private ExceptionDispatchInfo? _error;

    /// <summary>Runs part <paramref name="part"/>.</summary>
    public abstract void Execute(int part);

    // Opens a run of `parts` parts; the derived class has filled its fields before.
    internal void Open(int parts)
    {
        _parts = parts;
        _remaining = parts;
        _error = null;
        Volatile.Write(ref _next, 0);
    }

    // Claims and runs parts until none is left; any thread may call it at any time.
    internal void Help()
    {
        int part;
        while ((part = Interlocked.Increment(ref _next) - 1) < _parts)
        {
            try
            {
                Execute(part);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _error, ExceptionDispatchInfo.Capture(e), null);
            }

            Interlocked.Decrement(ref _remaining);
        }
    }

    // Waits until every part has run (not for workers that never arrived), closes the run, rethrows a part's exception.
    // The caller only waits for parts a worker has already claimed and is running, so it spins and yields rather than
    // blocking: a blocking wait allocated on a thread's first wait (the event's lock and the thread's wait state), which
    // made "no allocation in steady state" depend on timing.
    internal void Close()
    {
        var spin = default(SpinWait);
        while (Volatile.Read(ref _remaining) != 0)
        {
            spin.SpinOnce(sleep1Threshold: -1);
        }

        Volatile.Write(ref _next, Closed);
        _error?.Throw();
    }
}

/// <summary>
/// Splits a call over the cores: the calling thread and up to <see cref="KernelOptions.MaxDegreeOfParallelism"/> − 1
/// dedicated background workers (created on first use and reused; by default one fewer than the logical cores).
/// Parts are claimed from a counter in the job, so a worker the scheduler wakes late finds them done and the
/// caller never waits for it. One parallel call at a time uses the workers: a call made while they are busy
/// (another thread's, or a nested one) runs all its parts on its own thread.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class ParallelWork
{
    private static readonly object s_startGate = new();
    private static Worker[] s_workers = [];
    private static int s_busy;
    private static ParallelJob? s_job;
    private static long s_lastEnd; // when the last parallel call ended (Stopwatch ticks): the workers spin for a while after it
    private static int s_helpers; // workers the last parallel call woke: only they spin (not ones left over from a higher degree)

    // A warm-up thread (KernelWarmup) runs everything on itself: the workers stay free for the caller's own calls.
    private static int MaxThreads => KernelWarmup.Active ? 1 : KernelOptions.MaxDegreeOfParallelism;

    /// <summary>How many threads a call with <paramref name="work"/> units should use: one per <paramref name="minWorkPerThread"/>, at most <see cref="KernelOptions.MaxDegreeOfParallelism"/>.</summary>
    public static int ThreadsFor(long work, long minWorkPerThread)
    {
        long byWork = Math.Max(1, work / Math.Max(1, minWorkPerThread));
        return (int)Math.Min(byWork, MaxThreads);
    }

    /// <summary>Part <paramref name="part"/> of <paramref name="parts"/> equal contiguous slices of 0 … <paramref name="count"/> − 1 (the first slices one longer when it does not divide).</summary>
    public static (int Start, int End) Slice(int count, int parts, int part)
    {
        int size = count / parts, extra = count % parts;
        int start = (part * size) + Math.Min(part, extra);
        return (start, start + size + (part < extra ? 1 : 0));
    }

    /// <summary>
    /// Part <paramref name="part"/> of <paramref name="parts"/> slices of 0 … <paramref name="count"/> − 1 made of whole pairs
    /// (<see cref="Slice"/> over the ⌈count / 2⌉ pairs; the last pair may be one item, and slices past the last pair are empty at
    /// <paramref name="count"/>): for kernels that take two items a pass.
    /// </summary>
    public static (int Start, int End) SliceInPairs(int count, int parts, int part)
    {
        (int start, int end) = Slice((count + 1) / 2, parts, part);
        return (Math.Min(2 * start, count), Math.Min(2 * end, count));
    }

    /// <summary>Runs every part of <paramref name="job"/>, on up to <paramref name="parts"/> threads, and returns when all are done.</summary>
    public static void Run(ParallelJob job, int parts) => Run(job, parts, parts);

    /// <summary>
    /// Runs every part of <paramref name="job"/> on up to <paramref name="threads"/> threads (parts may outnumber them:
    /// each thread claims the next part when it is free), and returns when all are done.
    /// </summary>
    public static void Run(ParallelJob job, int parts, int threads)
    {
        ArgumentNullException.ThrowIfNull(job);
        int helpers = Math.Min(Math.Min(parts, threads), MaxThreads) - 1;

        // The workers are started by the first call that wants them even when the pool is busy and that call runs on its
        // own thread, so a later call never allocates them (warm-up calls are then enough for an allocation-free steady state).
        Worker[] workers = helpers > 0 ? Workers(helpers) : [];
        if (helpers <= 0 || Interlocked.CompareExchange(ref s_busy, 1, 0) != 0)
        {
            for (int i = 0; i < parts; i++)
            {
                job.Execute(i);
            }

            return;
        }

        try
        {
            job.Open(parts);
            Volatile.Write(ref s_helpers, helpers);
            Volatile.Write(ref s_job, job);
            for (int w = 0; w < helpers; w++)
            {
                workers[w].Wake();
            }

            job.Help();
            job.Close();
        }
        finally
        {
            Volatile.Write(ref s_job, null);
            Volatile.Write(ref s_lastEnd, Stopwatch.GetTimestamp());
            Volatile.Write(ref s_busy, 0);
        }
    }

    private static Worker[] Workers(int count)
    {
        if (s_workers.Length >= count)
        {
            return s_workers;
        }

        lock (s_startGate)
        {
            var grown = new Worker[Math.Max(count, s_workers.Length)];
            Array.Copy(s_workers, grown, s_workers.Length);
            for (int i = s_workers.Length; i < grown.Length; i++)
            {
                grown[i] = new Worker(i);
            }

            s_workers = grown;
            return grown;
        }
    }

    // How long after the last parallel call ended a worker keeps checking for the next job before it blocks: a model's layers
    // and back-to-back calls follow each other within microseconds, and waking a blocked thread took tens of microseconds (on a
    // 2-core VM the MLP's 2-thread Infer was slower than its 1-thread one). The window counts from the end of the call, not
    // from the end of the worker's own last part: a worker done first used to spend its 50 µs while the caller finished a long
    // part (a training convolution's part runs 0.1-0.8 ms), then blocked, and came tens of µs late to the next call, which in
    // Fashion-MNIST's training step was 8 blocking waits a step. 250 µs also spans the step's serial passes between calls
    // (the loader, the loss, the Linear weights' packing: 100-200 µs each). SpinWait yields the core while it spins.
    private static readonly long s_spinTicks = Stopwatch.Frequency / 4_000; // 250 µs

    // Whether worker `index` should keep spinning rather than block: the last call woke it, and that call is running (the worker
    // has run out of parts, the caller is finishing its own) or ended less than the spin window ago.
    private static bool SpinOn(int index) =>
        index < Volatile.Read(ref s_helpers) && (Volatile.Read(ref s_busy) != 0 || Stopwatch.GetTimestamp() - Volatile.Read(ref s_lastEnd) < s_spinTicks);

    // A background thread that waits on its event between jobs and helps whichever job is open when it wakes.
    private sealed class Worker
    {
        private readonly ManualResetEventSlim _wake = new(false, spinCount: 100);
        private readonly int _index;

        public Worker(int index)
        {
            _index = index;
            var thread = new Thread(Loop) { IsBackground = true, Name = $"FusedOps worker {index + 1}" };
            thread.Start();
        }

        public void Wake() => _wake.Set();

        private void Loop()
        {
            while (true)
            {
                var spin = default(SpinWait);
                while (!_wake.IsSet && SpinOn(_index))
                {
                    spin.SpinOnce(sleep1Threshold: -1);
                }

                _wake.Wait();
                _wake.Reset();
                Volatile.Read(ref s_job)?.Help();
            }
        }
    }
}
