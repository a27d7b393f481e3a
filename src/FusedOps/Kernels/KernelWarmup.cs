using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Threading;

namespace FusedOps.Kernels;

/// <summary>
/// Compiles a generated model's inference code on a background thread while the caller is still building the model, so the
/// first <c>Frozen.Infer</c> finds its kernels compiled (see <see cref="KernelOptions.WarmUp"/>).
/// </summary>
/// <remarks>
/// <para>
/// On a JIT runtime most of a model's first result is the JIT compiling the kernels (docs/performance.md, "First calls"): the
/// inference kernels are compiled fully optimised (they are marked <see cref="MethodImplOptions.AggressiveOptimization"/> so
/// that calls 2 on run at full speed), and that compilation happened on the first call, after the constructor and
/// <c>Freeze()</c> had already had their own code compiled, on one core.
/// </para>
/// <para>
/// A generated model's constructor calls <see cref="Start{TModel}"/> first thing. The warm-up thread then builds a model of
/// the same type of its own (the same shapes; its weights are not drawn, so the caller's constructor keeps the random
/// initialisation's code to itself), a folded inference model from it in which every weight packing is skipped
/// (<see cref="Active"/>: the packed arrays are left zero, at their real lengths), and runs that on zero input, once on one
/// sample and once on a full chunk, on one thread. That reaches exactly the code <c>Infer</c> runs, with the model's shapes,
/// while the caller's thread is still in its constructor and in <c>Freeze()</c>, compiling other code. It never touches the
/// caller's model; its results are dropped, and an exception in it is kept (<see cref="ErrorOf{TModel}"/>) and changes
/// nothing else.
/// </para>
/// <para>
/// It runs once per model type and process, only where the JIT compiles code (not under NativeAOT) and only on a machine
/// with at least two cores.
/// </para>
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class KernelWarmup
{
    private static readonly object s_gate = new();
    private static readonly Queue<Action> s_queue = new();
    private static bool s_working; // a warm-up thread is running (it takes jobs until the queue is empty, then ends)
    private static int s_pending; // jobs queued or running

    [ThreadStatic]
    private static bool t_active;

    /// <summary>Whether the calling thread is a warm-up thread: packings are skipped (zero arrays of their lengths) and calls stay on one thread.</summary>
    public static bool Active => t_active;

    /// <summary>Whether the warm-up of <typeparamref name="TModel"/> has run to its end (with or without an error).</summary>
    /// <typeparam name="TModel">The generated training model.</typeparam>
    public static bool HasFinished<TModel>()
        where TModel : class => Volatile.Read(ref Once<TModel>.Finished);

    /// <summary>
    /// The exception the warm-up of <typeparamref name="TModel"/> caught, or null: a failed warm-up changes nothing but the time
    /// of the first call, so it is kept here rather than thrown.
    /// </summary>
    /// <typeparam name="TModel">The generated training model.</typeparam>
    public static Exception? ErrorOf<TModel>()
        where TModel : class => Volatile.Read(ref Once<TModel>.Error);

    /// <summary>
    /// Starts <paramref name="warm"/> on a background thread, if <see cref="KernelOptions.WarmUp"/> is on, the runtime compiles
    /// code, the machine has two cores or more, and no warm-up of <typeparamref name="TModel"/> has started in this process;
    /// returns whether it started one.
    /// </summary>
    /// <typeparam name="TModel">The generated training model: one warm-up per type.</typeparam>
    /// <param name="warm">Builds a model of its own, its folded inference model, and runs it (the generated <c>WarmUp</c>).</param>
    public static bool Start<TModel>(Action warm)
        where TModel : class
    {
        ArgumentNullException.ThrowIfNull(warm);
        if (!KernelOptions.WarmUp || !RuntimeFeature.IsDynamicCodeCompiled || Environment.ProcessorCount < 2
            || Interlocked.Exchange(ref Once<TModel>.Started, 1) != 0)
        {
            return false;
        }

        lock (s_gate)
        {
            s_queue.Enqueue(() => Run<TModel>(warm));
            s_pending++;
            if (s_working)
            {
                return true;
            }

            s_working = true;
        }

        try
        {
            new Thread(static () => Work()) { IsBackground = true, Name = "FusedOps warm-up" }.UnsafeStart();
        }
        catch (OutOfMemoryException)
        {
            // No thread to be had: nothing is warmed (the first calls compile their own code, as with WarmUp off).
            lock (s_gate)
            {
                s_pending -= s_queue.Count;
                s_queue.Clear();
                s_working = false;
                Monitor.PulseAll(s_gate);
            }

            return false;
        }

        return true;
    }

    /// <summary>Waits until every warm-up started so far has finished; false if <paramref name="millisecondsTimeout"/> passed first.</summary>
    /// <param name="millisecondsTimeout">Most milliseconds to wait, or <see cref="Timeout.Infinite"/>.</param>
    public static bool Wait(int millisecondsTimeout)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(millisecondsTimeout, Timeout.Infinite);
        long start = Environment.TickCount64;
        lock (s_gate)
        {
            while (s_pending > 0)
            {
                int left = millisecondsTimeout == Timeout.Infinite ? Timeout.Infinite
                    : (int)Math.Max(0, millisecondsTimeout - (Environment.TickCount64 - start));
                if (left == 0 || !Monitor.Wait(s_gate, left))
                {
                    return s_pending == 0;
                }
            }
        }

        return true;
    }

    // The warm-up thread: runs the queued jobs in order, one at a time, then ends.
    private static void Work()
    {
        t_active = true;
        while (true)
        {
            Action job;
            lock (s_gate)
            {
                if (!s_queue.TryDequeue(out job!))
                {
                    s_working = false;
                    t_active = false;
                    return;
                }
            }

            job();
            lock (s_gate)
            {
                s_pending--;
                Monitor.PulseAll(s_gate);
            }
        }
    }

    private static void Run<TModel>(Action warm)
        where TModel : class
    {
        Exception? error = null;
        try
        {
            warm();
        }
        catch (Exception e)
        {
            error = e;
        }

        Volatile.Write(ref Once<TModel>.Error, error);
        Volatile.Write(ref Once<TModel>.Finished, true);
    }

    private static class Once<TModel>
    {
        public static int Started;
        public static bool Finished;
        public static Exception? Error;
    }
}
