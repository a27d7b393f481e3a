// FusedOps main job: train a CNN on Fashion-MNIST (70,000 28×28 grey images of 10 kinds of clothing),
// freeze it, report test accuracy and a confusion matrix, save the model and a learning-curve PNG.
//
//   samples/FusedOps.Samples.FashionMnist/run.sh            (installs the data package when it can)
//   dotnet run --project samples/FusedOps.Samples.FashionMnist -c Release -- [--epochs N] [--data DIR] [--threads N] [--out DIR]

using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using FusedOps;
using FusedOps.Data;
using FusedOps.Samples.FashionMnist;
using FusedOps.Serialization;
using FusedOps.Training;
using Spectre.Console;

const int BatchSize = 64;
const float LearningRate = 1e-3f;

Options? options = Options.Parse(args);
if (options is null)
{
    return 2;
}

// 1. Data: the four IDX files, from Debian's dataset-fashion-mnist package or --data.
string[] missing = FashionMnist.MissingFiles(options.DataDirectory);
if (missing.Length > 0)
{
    Console.Error.WriteLine($"Fashion-MNIST is not in '{options.DataDirectory}': missing {string.Join(", ", missing)} (raw or .gz).");
    Console.Error.WriteLine("Get it with one of:");
    Console.Error.WriteLine("  sudo apt-get install dataset-fashion-mnist     (Debian/Ubuntu; files in " + FashionMnist.DebianDirectory + ")");
    Console.Error.WriteLine("  samples/FusedOps.Samples.FashionMnist/run.sh   (installs that package when it can, then runs this sample)");
    Console.Error.WriteLine("  the four files from https://github.com/zalandoresearch/fashion-mnist (data/fashion), then --data DIR");
    return 1;
}

ImageDataset train = FashionMnist.Load(options.DataDirectory, train: true);
ImageDataset test = FashionMnist.Load(options.DataDirectory, train: false);
Console.WriteLine($"Data: {train.Count:N0} training and {test.Count:N0} test images from {options.DataDirectory}");

// 2. Model, optimiser, batches: Adam 1e-3 (cosine-annealed to 0 over the run's epochs, so the last epochs settle
//    instead of bouncing around the minimum), batch 64, inputs (x/255 − 0.2860)/0.3530, seeded shuffling.
// Training splits each convolution's passes over samples (bitwise the same result for any thread count).
KernelOptions.MaxDegreeOfParallelism = options.Threads;
if (options.Bits is int bits)
{
    KernelOptions.MaxVectorBits = bits;
}

var model = new FashionNet(seed: options.Seed);
var optimizer = new Adam(model.Parameters, LearningRate);
var trainBatches = new MinibatchLoader(train, BatchSize, FashionMnist.Mean, FashionMnist.StandardDeviation, shuffle: true, seed: options.Seed);
var testBatches = new MinibatchLoader(test, 500, FashionMnist.Mean, FashionMnist.StandardDeviation, shuffle: false);
Console.WriteLine($"Model: FashionNet, {model.Parameters.ElementCount:N0} parameters; Adam lr {LearningRate} cosine-annealed over {options.Epochs} epochs, batch {BatchSize}, {options.Epochs} epochs, "
    + $"vectors of {KernelOptions.MaxVectorBits} bits, {options.Threads} thread(s)");

// 3. Train: one line per epoch; a live bar while an epoch runs when the terminal is interactive.
var history = new System.Collections.Generic.List<EpochReport>();
var clock = Stopwatch.StartNew();
TrainingResult result = ProgressDisplay.Run(options.Epochs, trainBatches.BatchesPerEpoch, (epochs, batches) =>
{
    var trainer = new Trainer(model, optimizer)
    {
        Schedule = new CosineAnnealingLR(optimizer, tMax: options.Epochs),
        Progress = new Reporter<EpochReport>(r =>
        {
            history.Add(r);
            epochs.Report(r);
        }),
        BatchProgress = batches,
    };
    return trainer.Fit(trainBatches, options.Epochs, validation: testBatches);
});
Console.WriteLine($"Training: {clock.Elapsed.TotalSeconds:F1} s in all");

// 4. Freeze (BatchNorm folded, immutable, thread-safe) and evaluate it on the test set, in parallel.
FashionNet.Frozen frozen = model.Freeze();
float[] logits = new float[test.Count * FashionNet.OutputLength];
float[] inputs = new float[test.Count * FashionNet.InputLength];
new MinibatchLoader(test, test.Count, FashionMnist.Mean, FashionMnist.StandardDeviation, shuffle: false).Epoch().Single().Inputs.CopyTo(inputs);
double oneThread = Inference.Measure(frozen, inputs, logits, test.Count, threads: 1);
string speed = $"{oneThread:N0} images/s on 1 thread";
if (options.Threads > 1)
{
    double allThreads = Inference.Measure(frozen, inputs, logits, test.Count, options.Threads);
    speed += $", {allThreads:N0} on {options.Threads}";
}

int[] labels = test.Labels.Select(l => (int)l).ToArray();
Console.WriteLine($"Frozen model: test accuracy {Metrics.Accuracy(logits, labels, test.Count):P2}; inference {speed}");
Report.PrintConfusionMatrix(logits, labels, FashionMnist.ClassNames);

// 5. Save the model (PyTorch state-dict names) and the learning curves.
Directory.CreateDirectory(options.OutputDirectory);
string modelPath = Path.Combine(options.OutputDirectory, "fashion-net.safetensors");
StateDict.Save(model, modelPath);
string plotPath = Path.Combine(options.OutputDirectory, "fashion-net-curves.png");
Report.SaveCurves(history, plotPath);
Console.WriteLine($"Saved {modelPath} and {plotPath}");
return 0;

/// <summary>An <see cref="IProgress{T}"/> that reports synchronously, on the training thread.</summary>
internal sealed class Reporter<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}

/// <summary>
/// Frozen.Infer timed on the whole test set, split over <c>threads</c> callers (it is thread-safe), each call
/// on one thread: throughput as a server sees it. The kernels' own threads are off while measuring, so
/// "1 thread" means one core and the callers do not compete for the kernels' worker threads.
/// </summary>
internal static class Inference
{
    public static double Measure(FashionNet.Frozen frozen, float[] inputs, float[] logits, int count, int threads)
    {
        int kernelThreads = KernelOptions.MaxDegreeOfParallelism;
        KernelOptions.MaxDegreeOfParallelism = 1;
        try
        {
            return MeasureSplit(frozen, inputs, logits, count, threads);
        }
        finally
        {
            KernelOptions.MaxDegreeOfParallelism = kernelThreads;
        }
    }

    private static double MeasureSplit(FashionNet.Frozen frozen, float[] inputs, float[] logits, int count, int threads)
    {
        int chunk = (count + threads - 1) / threads;
        frozen.Infer(inputs.AsSpan(0, 100 * FashionNet.InputLength), logits.AsSpan(0, 100 * FashionNet.OutputLength), 100); // warm-up
        var clock = Stopwatch.StartNew();
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            int start = t * chunk, n = Math.Min(chunk, count - start);
            if (n > 0)
            {
                frozen.Infer(inputs.AsSpan(start * FashionNet.InputLength, n * FashionNet.InputLength), logits.AsSpan(start * FashionNet.OutputLength, n * FashionNet.OutputLength), n);
            }
        });
        return count / clock.Elapsed.TotalSeconds;
    }
}
