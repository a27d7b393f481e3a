using System;
using System.Threading;
using FusedOps.Kernels;
using Xunit;

namespace FusedOps.Tests;

/// <summary>
/// <see cref="ParallelWork"/>: every part runs exactly once for any thread count, a part's exception
/// reaches the caller and leaves the workers usable, nested calls run inline, and a reduction over a
/// fixed partition is bitwise identical for any degree of parallelism.
/// </summary>
[Collection("KernelLevel")]
public class ParallelWorkTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Run_EveryPartOnce(int threads) => KernelLevelCollection.AtThreads(threads, () =>
    {
        for (int parts = 1; parts <= 9; parts++)
        {
            var job = new CountingJob(parts);
            for (int repeat = 0; repeat < 20; repeat++)
            {
                ParallelWork.Run(job, parts);
            }

            Assert.All(job.Counts, c => Assert.Equal(20, c));
        }
    });

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Run_MorePartsThanThreads_EveryPartOnceAndOneThreadStaysOnCaller(int threads) => KernelLevelCollection.AtThreads(2, () =>
    {
        for (int parts = 1; parts <= 9; parts++)
        {
            var job = new ThreadRecordingJob(parts);
            for (int repeat = 0; repeat < 20; repeat++)
            {
                ParallelWork.Run(job, parts, threads);
            }

            Assert.All(job.Counts, c => Assert.Equal(20, c));
            if (threads == 1)
            {
                Assert.All(job.Threads, id => Assert.Equal(Environment.CurrentManagedThreadId, id));
            }
        }
    });

    [Fact]
    public void Run_PartThrows_CallerGetsItAndWorkersStillServe() => KernelLevelCollection.AtThreads(2, () =>
    {
        var failing = new ThrowingJob();
        var e = Assert.Throws<InvalidOperationException>(() => ParallelWork.Run(failing, 4));
        Assert.Equal("part 2", e.Message);
        var job = new CountingJob(4);
        ParallelWork.Run(job, 4);
        Assert.All(job.Counts, c => Assert.Equal(1, c));
    });

    [Fact]
    public void Run_Nested_RunsInnerPartsToo() => KernelLevelCollection.AtThreads(2, () =>
    {
        var inner = new CountingJob(3);
        var outer = new NestingJob(inner);
        ParallelWork.Run(outer, 2);
        Assert.All(inner.Counts, c => Assert.Equal(2, c));
    });

    [Fact]
    public void FixedChunkReduction_AnyThreadCount_BitwiseIdentical()
    {
        var random = new Random(9);
        float[] values = new float[100_003];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (random.NextSingle() - 0.5f) * MathF.Pow(10, random.Next(-3, 4)); // magnitudes that make the order matter
        }

        float? first = null;
        foreach (int threads in new[] { 1, 2, 3 })
        {
            float sum = 0;
            KernelLevelCollection.AtThreads(threads, () => sum = ChunkedSum.Sum(values));
            first ??= sum;
            Assert.Equal(BitConverter.SingleToInt32Bits(first.Value), BitConverter.SingleToInt32Bits(sum));
        }
    }

    [Fact]
    public void Slice_CoversRangeInOrder()
    {
        for (int count = 0; count < 30; count++)
        {
            for (int parts = 1; parts < 8; parts++)
            {
                int expectedStart = 0;
                for (int part = 0; part < parts; part++)
                {
                    (int start, int end) = ParallelWork.Slice(count, parts, part);
                    Assert.Equal(expectedStart, start);
                    Assert.InRange(end - start, count / parts, (count / parts) + 1);
                    expectedStart = end;
                }

                Assert.Equal(count, expectedStart);
            }
        }
    }

    [Fact]
    public void SliceInPairs_CoversRangeInOrder_StartingOnEvenItems()
    {
        for (int count = 0; count < 30; count++)
        {
            for (int parts = 1; parts < 8; parts++)
            {
                int expectedStart = 0, pairs = (count + 1) / 2;
                for (int part = 0; part < parts; part++)
                {
                    (int start, int end) = ParallelWork.SliceInPairs(count, parts, part);
                    Assert.Equal(expectedStart, start);
                    Assert.True(start % 2 == 0 || start == end, $"count {count}, parts {parts}, part {part}: starts at {start}");
                    int length = end - start;
                    // Whole pairs (the slice that ends the range may end on its odd last item), as many as Slice gives the pairs.
                    Assert.Equal(ParallelWork.Slice(pairs, parts, part).End - ParallelWork.Slice(pairs, parts, part).Start, (length + 1) / 2);
                    Assert.True(length % 2 == 0 || end == count, $"count {count}, parts {parts}, part {part}: {start}..{end} splits a pair");
                    expectedStart = end;
                }

                Assert.Equal(count, expectedStart);
            }
        }
    }

    [Fact]
    public void MaxDegreeOfParallelism_OutOfRange_Throws()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => KernelOptions.MaxDegreeOfParallelism = 0);
        Assert.Equal("value", e.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => KernelOptions.MaxDegreeOfParallelism = 65);
    }

    private sealed class CountingJob(int parts) : ParallelJob
    {
        public int[] Counts { get; } = new int[parts];

        public override void Execute(int part) => Interlocked.Increment(ref Counts[part]);
    }

    private sealed class ThreadRecordingJob(int parts) : ParallelJob
    {
        public int[] Counts { get; } = new int[parts];

        public int[] Threads { get; } = new int[parts];

        public override void Execute(int part)
        {
            Threads[part] = Environment.CurrentManagedThreadId;
            Interlocked.Increment(ref Counts[part]);
        }
    }

    private sealed class ThrowingJob : ParallelJob
    {
        public override void Execute(int part)
        {
            if (part == 2)
            {
                throw new InvalidOperationException("part 2");
            }
        }
    }

    private sealed class NestingJob(CountingJob inner) : ParallelJob
    {
        public override void Execute(int part) => ParallelWork.Run(inner, inner.Counts.Length);
    }

    // The documented pattern for reductions: a fixed number of chunks (not the thread count), partial
    // sums per chunk, added in chunk order.
    private sealed class ChunkedSum(float[] values) : ParallelJob
    {
        private const int Chunks = 8;
        private readonly float[] _partials = new float[Chunks];

        public static float Sum(float[] values)
        {
            var job = new ChunkedSum(values);
            ParallelWork.Run(job, Chunks);
            float total = 0;
            foreach (float p in job._partials)
            {
                total += p;
            }

            return total;
        }

        public override void Execute(int part)
        {
            (int start, int end) = ParallelWork.Slice(values.Length, Chunks, part);
            float s = 0;
            for (int i = start; i < end; i++)
            {
                s += values[i];
            }

            _partials[part] = s;
        }
    }
}
