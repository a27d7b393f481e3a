using System;
using System.Collections.Generic;
using System.Diagnostics;

namespace FusedOps.Benchmarks;

/// <summary>
/// Times many calls in one process with a Stopwatch: every row is warmed up (at least
/// <see cref="WarmupSeconds"/> and two calls, so tiered JIT has produced optimised code), then the
/// rows are sampled in alternating rounds, one sample of every row per round, so that a change in
/// machine load hits every row alike. A sample repeats the call for at least
/// <see cref="SampleSeconds"/>; a row's time is the median of its samples.
/// </summary>
internal sealed class Sampler
{
    private const double WarmupSeconds = 0.3;
    private const double SampleSeconds = 0.04;

    private readonly List<Row> _rows = [];

    /// <summary>Registers a row; <paramref name="threads"/> is set as <see cref="KernelOptions.MaxDegreeOfParallelism"/> around its calls.</summary>
    public Row Add(Action run, int threads)
    {
        var row = new Row(run, threads);
        _rows.Add(row);
        return row;
    }

    /// <summary>Warms every row up, then samples all of them in <paramref name="rounds"/> alternating rounds.</summary>
    public void Measure(int rounds)
    {
        int saved = KernelOptions.MaxDegreeOfParallelism;
        try
        {
            foreach (Row r in _rows)
            {
                KernelOptions.MaxDegreeOfParallelism = r.Threads;
                r.WarmUp();
            }

            for (int round = 0; round < rounds; round++)
            {
                foreach (Row r in _rows)
                {
                    KernelOptions.MaxDegreeOfParallelism = r.Threads;
                    r.Sample();
                }
            }
        }
        finally
        {
            KernelOptions.MaxDegreeOfParallelism = saved;
        }
    }

    /// <summary>One timed call.</summary>
    internal sealed class Row(Action run, int threads)
    {
        private readonly List<double> _samples = [];
        private int _repetitions = 1;

        public int Threads => threads;

        /// <summary>Median seconds per call, after <see cref="Measure"/>; NaN before.</summary>
        public double Seconds
        {
            get
            {
                if (_samples.Count == 0)
                {
                    return double.NaN;
                }

                double[] sorted = [.. _samples];
                Array.Sort(sorted);
                return sorted[sorted.Length / 2];
            }
        }

        public void WarmUp()
        {
            var clock = Stopwatch.StartNew();
            int calls = 0;
            do
            {
                run();
                calls++;
            }
            while (calls < 2 || clock.Elapsed.TotalSeconds < WarmupSeconds);

            _repetitions = Math.Max(1, (int)Math.Ceiling(SampleSeconds * calls / clock.Elapsed.TotalSeconds));
        }

        public void Sample()
        {
            long start = Stopwatch.GetTimestamp();
            for (int r = 0; r < _repetitions; r++)
            {
                run();
            }

            _samples.Add(Stopwatch.GetElapsedTime(start).TotalSeconds / _repetitions);
        }
    }
}
