using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;

namespace FusedOps.Benchmarks;

/// <summary>
/// One table of the quick mode: prints its header, then each case as it is measured, then the
/// accuracy checks. A case is warmed up for at least <see cref="WarmupSeconds"/> (two calls at
/// least, so tiered JIT has produced optimised code), then timed in <see cref="Samples"/> samples
/// of at least <see cref="SampleSeconds"/> each; the median per-call time is reported.
/// </summary>
internal sealed class QuickTable
{
    private const double WarmupSeconds = 0.5;
    private const double SampleSeconds = 0.1;
    private const int Samples = 5;
    private const int SlowSamples = 3; // for calls longer than a sample (the reference interpreter)
    private const string Row = "  {0,-36} {1,11} {2,9} {3,13}";

    private readonly List<string> _checks = [];

    public QuickTable(Workload workload)
    {
        Console.WriteLine($"{workload.Name}: {workload.InferenceFlops / 1e6:F1} MFLOP per inference, {workload.TrainingFlops / 1e6:F1} MFLOP per training step{(workload.WantsInputGradient ? " (with input gradient)" : " (no input gradient)")}");
        Console.WriteLine(string.Format(CultureInfo.InvariantCulture, Row, "case", "time", "GFLOP/s", "vs reference"));
    }

    /// <summary>Times <paramref name="run"/>, prints its row and returns its median seconds per call.</summary>
    /// <param name="baseline">Seconds per call of the reference this case is compared with; null for the reference itself.</param>
    public double Add(string name, Action run, long flops, double? baseline)
    {
        double seconds = Measure(run);
        string ratio = baseline is double b ? $"{b / seconds:F1}×" : "1.0× (base)";
        Console.WriteLine(string.Format(CultureInfo.InvariantCulture, Row, name, Time(seconds), (flops / seconds / 1e9).ToString("F2", CultureInfo.InvariantCulture), ratio));
        return seconds;
    }

    /// <summary>Records the largest absolute difference between two outputs, printed by <see cref="PrintChecks"/>.</summary>
    public void Check(string what, float[] expected, float[] actual)
    {
        double max = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            max = Math.Max(max, Math.Abs((double)expected[i] - actual[i]));
        }

        _checks.Add($"{what} {max:0.0e+0}");
    }

    /// <summary>Prints the checks, then a blank line.</summary>
    public void PrintChecks(string against)
    {
        Console.WriteLine($"  max |output − {against}|: {string.Join(", ", _checks)}");
        Console.WriteLine();
    }

    private static double Measure(Action run)
    {
        var clock = Stopwatch.StartNew();
        int calls = 0;
        do
        {
            run();
            calls++;
        }
        while (calls < 2 || clock.Elapsed.TotalSeconds < WarmupSeconds);

        double perCall = clock.Elapsed.TotalSeconds / calls;
        int repetitions = Math.Max(1, (int)Math.Ceiling(SampleSeconds / perCall));
        double[] samples = new double[perCall > SampleSeconds ? SlowSamples : Samples];
        for (int s = 0; s < samples.Length; s++)
        {
            clock.Restart();
            for (int r = 0; r < repetitions; r++)
            {
                run();
            }

            samples[s] = clock.Elapsed.TotalSeconds / repetitions;
        }

        Array.Sort(samples);
        return samples[samples.Length / 2];
    }

    private static string Time(double seconds) => seconds switch
    {
        >= 1 => $"{seconds:F2} s",
        >= 1e-3 => $"{seconds * 1e3:F2} ms",
        _ => $"{seconds * 1e6:F1} µs",
    };
}
