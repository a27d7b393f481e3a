using System;
using System.Threading;
using FusedOps.Kernels;
using FusedOps.Tests.Pipelines;
using Xunit;

namespace FusedOps.Tests;

/// <summary>
/// <see cref="CallBuffers"/>: the generated <c>Infer</c>'s per-call arrays, kept per thread (no framework pool, whose generic
/// code the first call of a process compiled), and the constructors' fill.
/// </summary>
public sealed class CallBuffersTests
{
    [Fact]
    public void Rent_IsLongEnough_AndAReturnedArrayComesBackWithoutAllocating()
    {
        RunOnFreshThread(() =>
        {
            float[] a = CallBuffers.Rent(1000);
            Assert.True(a.Length >= 1000, $"{a.Length} floats, 1,000 asked for");
            CallBuffers.Return(a);

            long before = GC.GetAllocatedBytesForCurrentThread();
            float[] again = CallBuffers.Rent(700);
            CallBuffers.Return(again);
            float[] same = CallBuffers.Rent(1000);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Same(a, again);
            Assert.Same(a, same);
            Assert.Equal(0, allocated);

            // Longer than any free array: a new one.
            CallBuffers.Return(same);
            float[] longer = CallBuffers.Rent(1001);
            Assert.NotSame(a, longer);
            Assert.True(longer.Length >= 1001);
        });
    }

    [Fact]
    public void Rent_TakesTheShortestFreeArrayThatIsLongEnough()
    {
        RunOnFreshThread(() =>
        {
            float[] big = CallBuffers.Rent(5000), mid = CallBuffers.Rent(800), small = CallBuffers.Rent(100);
            CallBuffers.Return(big);
            CallBuffers.Return(small);
            CallBuffers.Return(mid);
            Assert.Same(mid, CallBuffers.Rent(700));
            Assert.Same(small, CallBuffers.Rent(50));
            Assert.Same(big, CallBuffers.Rent(801));
        });
    }

    [Fact]
    public void ManyArraysOutAtOnce_AfterTheFirstRound_AllocateNothing()
    {
        RunOnFreshThread(() =>
        {
            // More than the free list's first four slots: it grows once, then holds them all.
            float[][] held = new float[9][];
            for (int round = 0; round < 3; round++)
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                for (int i = 0; i < held.Length; i++)
                {
                    held[i] = CallBuffers.Rent(256);
                }

                for (int i = 0; i < held.Length; i++)
                {
                    CallBuffers.Return(held[i]);
                }

                long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                if (round > 0)
                {
                    Assert.Equal(0, allocated);
                }
            }
        });
    }

    [Fact]
    public void AnotherThread_NeverGetsThisThreadsFreeArrays()
    {
        RunOnFreshThread(() =>
        {
            float[] mine = CallBuffers.Rent(64);
            CallBuffers.Return(mine);
            float[]? theirs = null;
            RunOnFreshThread(() => theirs = CallBuffers.Rent(64));
            Assert.NotSame(mine, theirs);
            Assert.Same(mine, CallBuffers.Rent(64));
        });
    }

    [Fact]
    public void BadArguments_Throw_NamingTheParameter()
    {
        var negative = Assert.Throws<ArgumentOutOfRangeException>(() => CallBuffers.Rent(-1));
        Assert.Equal("length", negative.ParamName);
        var missing = Assert.Throws<ArgumentNullException>(() => CallBuffers.Return(null!));
        Assert.Equal("array", missing.ParamName);
    }

    [Fact]
    public void Fill_SetsEveryElementOfTheSpanAndNothingElse()
    {
        float[] values = [1, 2, 3, 4, 5, 6, 7];
        CallBuffers.Fill(values.AsSpan(2, 4), -0.5f);
        Assert.Equal(new float[] { 1, 2, -0.5f, -0.5f, -0.5f, -0.5f, 7 }, values);
    }

    [Fact]
    public void GeneratedInfer_WithPooledBuffers_AllocatesNothingOnItsSecondCall_OnAFreshThread()
    {
        // TwoBlockCnn's Infer holds chunk buffers between its groups: on a thread's second call they come from its free list.
        IInferenceModel frozen = new TwoBlockCnn().Freeze();
        float[] x = new float[4 * frozen.InputLength], y = new float[4 * frozen.OutputLength];
        RunOnFreshThread(() =>
        {
            frozen.Infer(x, y, 4);
            long before = GC.GetAllocatedBytesForCurrentThread();
            frozen.Infer(x, y, 4);
            Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        });
    }

    // The free lists are per thread: each test starts on a thread of its own, so other tests' arrays never interfere.
    private static void RunOnFreshThread(Action body)
    {
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                body();
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        thread.Start();
        thread.Join();
        if (failure is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
        }
    }
}
