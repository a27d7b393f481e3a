using System;
using System.Linq;
using Microsoft.ML.OnnxRuntime;

namespace FusedOps.Benchmarks;

/// <summary><c>--quick</c>: issue 7's LayerNorm + GELU MLP against ONNX Runtime and the reference interpreter, in one run.</summary>
internal static class QuickMlp
{
    private const int Rounds = 9;

    /// <summary>Times the rows, prints them; false when an output disagrees with the reference.</summary>
    public static bool Run()
    {
        Console.WriteLine($"MLP (issue 7): Linear 256→512 + LayerNorm + GELU → Linear 10, batch {MlpWorkload.Batch}. Ratio = peer time ÷ FusedOps time.");
        using MlpWorkload w = Create();
        w.ReferenceInfer();
        float[] expected = [.. w.Output];
        w.FrozenInfer();
        double frozenError = Difference(expected, w.Output);
        w.Onnx1?.Infer();
        double onnxError = w.Onnx1 is null ? double.NaN : Difference(expected, w.OnnxOutput);

        var sampler = new Sampler();
        Sampler.Row frozen1 = sampler.Add(w.FrozenInfer, 1), frozen2 = sampler.Add(w.FrozenInfer, 2);
        Sampler.Row? onnx1 = w.Onnx1 is { } o1 ? sampler.Add(o1.Infer, 1) : null, onnx2 = w.Onnx2 is { } o2 ? sampler.Add(o2.Infer, 1) : null;
        Sampler.Row reference = sampler.Add(w.ReferenceInfer, 1), train = sampler.Add(w.TrainingStep, 1), forward = sampler.Add(w.TrainingForward, 1);
        Sampler.Row referenceTrain = sampler.Add(w.ReferenceTrainingStep, 1);
        sampler.Measure(Rounds);

        (long inferFlops, long trainFlops) = MlpWorkload.Flops;
        var table = new Table("row", "time", "GFLOP/s", "its time ÷ FusedOps 1T");
        double f = frozen1.Seconds;
        void Add(string name, Sampler.Row? row, long flops, double fused)
        {
            double s = row?.Seconds ?? double.NaN;
            table.Add(name, Time(s), double.IsNaN(s) ? "-" : $"{flops / s / 1e9:F1}", double.IsNaN(s) || double.IsNaN(fused) || row == frozen1 ? "" : $"{s / fused:F2}");
        }

        Add("Frozen.Infer 1 thread", frozen1, inferFlops, f);
        Add("Frozen.Infer 2 threads", frozen2, inferFlops, f);
        Add("ORT 1 thread", onnx1, inferFlops, f);
        Add("ORT 2 threads", onnx2, inferFlops, f);
        Add("reference Infer", reference, inferFlops, f);
        Add("training step 1 thread", train, trainFlops, double.NaN);
        Add("of which Forward", forward, inferFlops, double.NaN);
        Add("reference training step", referenceTrain, trainFlops, train.Seconds);
        table.Print();
        Console.WriteLine($"  2 threads: FusedOps {f / frozen2.Seconds:F2}× its 1-thread speed, ORT 2T ÷ FusedOps 2T {(onnx2?.Seconds ?? double.NaN) / frozen2.Seconds:F2}; "
            + $"training step {train.Seconds / (onnx1?.Seconds ?? double.NaN):F2}× ORT's 1-thread inference.");
        Console.WriteLine($"  Outputs vs the reference (largest |difference| relative to the largest |output|): Frozen.Infer {frozenError:0.0e+0}, ORT {onnxError:0.0e+0}.");
        Console.WriteLine();
        return frozenError <= 1e-3 && !(onnxError > 1e-3);
    }

    private static MlpWorkload Create()
    {
        try
        {
            return new MlpWorkload(onnx: true);
        }
        catch (Exception e) when (e is OnnxRuntimeException or DllNotFoundException or TypeInitializationException)
        {
            Console.WriteLine($"ONNX Runtime skipped: {e.GetType().Name}: {e.Message}");
            return new MlpWorkload(onnx: false);
        }
    }

    private static double Difference(float[] expected, float[] actual)
    {
        double scale = expected.Max(v => Math.Abs((double)v)) + 1e-30;
        return expected.Zip(actual, (e, a) => Math.Abs((double)e - a)).Max() / scale;
    }

    private static string Time(double seconds) => double.IsNaN(seconds) ? "-" : seconds >= 1e-3 ? $"{seconds * 1e3:F3} ms" : $"{seconds * 1e6:F2} µs";
}
