using System;
using System.Diagnostics;
using System.Globalization;
using System.Linq;

namespace FusedOps.MathAccuracy;

/// <summary>
/// Measures <see cref="VectorMath"/> and the activation operators against double precision at every
/// width. Usage: <c>dotnet run -c Release --project tools/FusedOps.MathAccuracy -- [--stride N]
/// [--activation-stride N] [--only name]</c>. Functions are swept over every N-th finite float bit
/// pattern (N = 1: every finite float) plus every float within 512 ulps of each edge of the
/// algorithms; activations over every N-th finite float. Prints markdown tables.
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        long stride = Option(args, "--stride", 64);
        long activationStride = Option(args, "--activation-stride", 1024);
        string? only = args.SkipWhile(a => a != "--only").Skip(1).FirstOrDefault();
        Console.WriteLine($"FMA: {System.Runtime.Intrinsics.X86.Fma.IsSupported}, AVX-512F: {System.Runtime.Intrinsics.X86.Avx512F.IsSupported}; " +
            $"function stride {stride}, activation stride {activationStride}");
        Console.WriteLine();
        Console.WriteLine("| function | width | points | max ulps | at x | max relative |");
        Console.WriteLine("|---|---|---|---|---|---|");
        bool ok = true;
        foreach (MathFunction f in MathFunction.All.Where(f => only is null || f.Name == only))
        {
            ok &= MeasureFunction(f, stride);
        }

        Console.WriteLine();
        Console.WriteLine("| activation | width | points | forward ulps, |f| ≥ 2⁻²⁰ (at x) | forward mixed | backward ulps, |f′| ≥ 2⁻²⁰ (at u) | backward mixed (at u) |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        foreach (OperatorCase op in OperatorCase.All.Where(o => only is null || o.Declaration == only))
        {
            ok &= MeasureOperator(op, activationStride);
        }

        return ok ? 0 : 1;
    }

    private static long Option(string[] args, string name, long fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? long.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private static bool MeasureFunction(MathFunction f, long stride)
    {
        var watch = Stopwatch.StartNew();
        ErrorStats[] stats = f.Measure(stride);
        bool ok = true;
        for (int w = 0; w < stats.Length; w++)
        {
            ErrorStats s = stats[w];
            Console.WriteLine($"| {f.Name} | {Sweep.Widths[w]} | {s.Count} | {s.MaxUlps:F2} | {s.MaxUlpsAt:R} | {s.MaxRelative:E2} |");
            ok &= Report(s.Mismatch, f.Name, w);
        }

        Console.Error.WriteLine($"{f.Name}: {watch.Elapsed.TotalSeconds:F0} s");
        return ok;
    }

    private static bool MeasureOperator(OperatorCase op, long stride)
    {
        (ErrorStats[] forward, ErrorStats[] backward) = op.Measure(stride);
        bool ok = true;
        for (int w = 0; w < forward.Length; w++)
        {
            (ErrorStats f, ErrorStats b) = (forward[w], backward[w]);
            Console.WriteLine($"| {op.Declaration} | {Sweep.Widths[w]} | {f.Count} | {f.MaxUlps:F2} ({f.MaxUlpsAt:R}) | {f.MaxMixed:F2} | " +
                $"{b.MaxUlps:G3} ({b.MaxUlpsAt:R}) | {b.MaxMixed:F2} ({b.MaxMixedAt:R}) |");
            ok &= Report(f.Mismatch, op.Declaration + " forward", w) & Report(b.Mismatch, op.Declaration + " backward", w);
        }

        return ok;
    }

    private static bool Report(string? mismatch, string name, int width)
    {
        if (mismatch is not null)
        {
            Console.WriteLine($"| {name} | {Sweep.Widths[width]} | special-value mismatch: {mismatch} | | | |");
        }

        return mismatch is null;
    }
}
