using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;

namespace FusedOps.Benchmarks;

/// <summary>
/// One table of the quick mode. Cases are registered first, then <see cref="Measure"/> times them
/// all: each is warmed up for at least <see cref="WarmupSeconds"/> (two calls at least, so tiered
/// JIT has produced optimised code), then sampled round-robin, one sample of every case per round,
/// so that a change in machine load affects a case and its reference alike. A sample repeats the
/// call for at least <see cref="SampleSeconds"/>; the table shows the median per-call time.
/// </summary>
internal sealed class QuickTable
{
    private const double WarmupSeconds = 0.5;
    private const double SampleSeconds = 0.1;
    private const int Rounds = 5;
    private const string Row = "  {0,-36} {1,11} {2,9} {3,13}";

    private readonly Workload _workload;
    private readonly List<Case> _cases = [];
    private readonly List<string> _checks = [];

    public QuickTable(Workload workload) => _workload = workload;

    /// <summary>Registers a case, timed at <paramref name="vectorBits"/> (see <see cref="KernelOptions.MaxVectorBits"/>).</summary>
    /// <param name="baseline">The reference case this one is compared with; null for a reference itself.</param>
    public Case Add(string name, Action run, long flops, Case? baseline, int vectorBits) =>
        Add(new Case(name, run, flops, baseline, vectorBits));

    /// <summary>Records the largest absolute difference between two outputs.</summary>
    public void Check(string what, float[] expected, float[] actual)
    {
        double max = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            max = Math.Max(max, Math.Abs((double)expected[i] - actual[i]));
        }

        _checks.Add($"{what} {max:0.0e+0}");
    }

    /// <summary>Times every case, then prints the table and the checks.</summary>
    public void Measure()
    {
        int saved = KernelOptions.MaxVectorBits;
        try
        {
            foreach (Case c in _cases)
            {
                KernelOptions.MaxVectorBits = c.VectorBits;
                c.WarmUp();
            }

            for (int round = 0; round < Rounds; round++)
            {
                foreach (Case c in _cases)
                {
                    KernelOptions.MaxVectorBits = c.VectorBits;
                    c.Sample();
                }
            }
        }
        finally
        {
            KernelOptions.MaxVectorBits = saved;
        }

        Print();
    }

    private Case Add(Case c)
    {
        _cases.Add(c);
        return c;
    }

    private void Print()
    {
        Workload w = _workload;
        Console.WriteLine($"{w.Name}: {w.InferenceFlops / 1e6:F1} MFLOP per inference, {w.TrainingFlops / 1e6:F1} MFLOP per training step{(w.WantsInputGradient ? " (with input gradient)" : " (no input gradient)")}");
        Console.WriteLine(string.Format(CultureInfo.InvariantCulture, Row, "case", "time", "GFLOP/s", "vs reference"));
        foreach (Case c in _cases)
        {
            string ratio = c.Baseline is null ? "1.0× (base)" : $"{c.Baseline.Seconds / c.Seconds:F1}×";
            Console.WriteLine(string.Format(CultureInfo.InvariantCulture, Row, c.Name, Time(c.Seconds), (c.Flops / c.Seconds / 1e9).ToString("F2", CultureInfo.InvariantCulture), ratio));
        }

        Console.WriteLine($"  max |output − reference Infer|: {string.Join(", ", _checks)}");
        Console.WriteLine();
    }

    private static string Time(double seconds) => seconds switch
    {
        >= 1 => $"{seconds:F2} s",
        >= 1e-3 => $"{seconds * 1e3:F2} ms",
        _ => $"{seconds * 1e6:F1} µs",
    };

    /// <summary>One timed case.</summary>
    internal sealed class Case(string name, Action run, long flops, Case? baseline, int vectorBits)
    {
        private readonly List<double> _samples = [];
        private int _repetitions = 1;

        public string Name => name;

        public long Flops => flops;

        public Case? Baseline => baseline;

        public int VectorBits => vectorBits;

        /// <summary>Median seconds per call, after <see cref="Measure"/>.</summary>
        public double Seconds
        {
            get
            {
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
