// FusedOps first-run sample: train a small CNN to tell four shapes apart, freeze it, save it,
// reload it, and compare inference speed with FusedOps' naive reference interpreter.
//
//   dotnet run --project samples/FusedOps.Samples.Shapes -c Release

using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Reflection;
using FusedOps;
using FusedOps.Reference;
using FusedOps.Samples.Shapes;
using FusedOps.Serialization;
using FusedOps.Training;

const int BatchSize = 32;
const int Epochs = 4;
const float LearningRate = 0.02f;
const float Momentum = 0.9f;
int classes = ShapesDataset.ClassNames.Length;

// 1. Data: generated in code, a fixed seed for each split.
ShapesDataset train = ShapesDataset.Generate(4000, seed: 1);
ShapesDataset test = ShapesDataset.Generate(1000, seed: 2);
Console.WriteLine($"Data: {train.Count} training and {test.Count} test images, 16×16, classes {string.Join(", ", ShapesDataset.ClassNames)} (chance = {1.0 / classes:P0})");

// 2. Model: the generated ShapesNet class, with PyTorch's default initialisation (seed 0).
var model = new ShapesNet();
Console.WriteLine($"Model: ShapesNet (2 × Conv2d+BatchNorm+ReLU, Linear), {model.Parameters.ElementCount:N0} parameters, kernels use {KernelName(KernelOptions.MaxVectorBits)}");

// 3. Training: mini-batch SGD with momentum on the softmax cross-entropy loss.
Console.WriteLine($"Training: {Epochs} epochs, batch {BatchSize}, SGD lr {LearningRate}, momentum {Momentum}");
var optimizer = new Sgd(model.Parameters, LearningRate, Momentum);
var shuffle = new Random(3);
int[] order = Enumerable.Range(0, train.Count).ToArray();
float[] images = new float[BatchSize * ShapesNet.InputLength];
int[] labels = new int[BatchSize];
float[] logits = new float[BatchSize * ShapesNet.OutputLength];
float[] logitsGradient = new float[logits.Length];
int batches = train.Count / BatchSize; // an incomplete last batch is dropped

for (int epoch = 1; epoch <= Epochs; epoch++)
{
    var clock = Stopwatch.StartNew();
    shuffle.Shuffle(order);
    double lossSum = 0, accuracySum = 0;
    for (int b = 0; b < batches; b++)
    {
        train.Gather(order.AsSpan(b * BatchSize, BatchSize), images, labels);
        model.Forward(images, logits, BatchSize);                                             // training mode: batch statistics
        lossSum += SoftmaxCrossEntropy.Compute(logits, labels, BatchSize, logitsGradient);   // loss and d(loss)/d(logits)
        accuracySum += SoftmaxCrossEntropy.Accuracy(logits, labels, BatchSize);
        optimizer.ZeroGrad();
        model.Backward(logitsGradient, Span<float>.Empty);                                   // parameter gradients only
        optimizer.Step();
    }

    string warmUp = epoch == 1 ? " (includes JIT warm-up)" : "";
    Console.WriteLine($"  epoch {epoch}/{Epochs}: loss {lossSum / batches:F4}, train accuracy {accuracySum / batches:P1}, {clock.Elapsed.TotalSeconds:F2} s{warmUp}");
}

// 4. Freeze: an immutable, thread-safe inference model with BatchNorm folded into the convolutions.
ShapesNet.Frozen frozen = model.Freeze();
float[] testLogits = new float[test.Count * ShapesNet.OutputLength];
frozen.Infer(test.Images, testLogits, test.Count);
Console.WriteLine($"Test accuracy (frozen model, {test.Count} unseen images): {SoftmaxCrossEntropy.Accuracy(testLogits, test.Labels, test.Count):P1}");

// 5. Save the trained state as safetensors (PyTorch's state-dict names), load it into a new model.
string path = Path.Combine(Path.GetTempPath(), "fusedops-shapes.safetensors");
StateDict.Save(model, path);
var reloaded = new ShapesNet(seed: 42); // different initial weights, overwritten by Load
StateDict.Load(reloaded, path);
float[] reloadedLogits = new float[testLogits.Length];
reloaded.Freeze().Infer(test.Images, reloadedLogits, test.Count);
bool same = reloadedLogits.AsSpan().SequenceEqual(testLogits);
Console.WriteLine($"Saved to {path} ({new FileInfo(path).Length / 1024.0:F1} KB); reloaded model's test outputs {(same ? "are identical" : "DIFFER")}");

// 6. Speed: Frozen.Infer vs the reference interpreter (plain loops in double) holding the same state.
IInferenceModel reference = ReferenceFor(model);
float[] batch64 = test.Images.AsSpan(0, 64 * ShapesNet.InputLength).ToArray();
double fused = ImagesPerSecond(frozen, batch64, 64, seconds: 1.0);
double naive = ImagesPerSecond(reference, batch64, 64, seconds: 1.0);
Console.WriteLine("Inference throughput, batch 64, one thread:");
Console.WriteLine($"  FusedOps Frozen.Infer:  {fused,12:N0} images/s");
Console.WriteLine($"  reference interpreter:  {naive,12:N0} images/s  (plain loops in double: the yardstick the tests use)");
Console.WriteLine($"  speed-up:               {fused / naive,12:N0}×");
return same ? 0 : 1;

// The reference interpreter built from ShapesNet's own attributes, holding the trained state.
static ReferenceModel ReferenceFor(ShapesNet trained)
{
    var layers = typeof(ShapesNet).GetCustomAttributes<LayerAttribute>(inherit: false).ToList();
    var reference = new ReferenceModel(ShapesNet.InputShape.ToArray(), layers, seed: 0);
    reference.Parameters.CopyFrom(trained.Parameters);
    reference.Buffers.CopyFrom(trained.Buffers);
    return reference;
}

// Runs Infer on one batch repeatedly for about `seconds` (after one warm-up call).
static double ImagesPerSecond(IInferenceModel model, float[] input, int batchSize, double seconds)
{
    float[] output = new float[batchSize * model.OutputLength];
    model.Infer(input, output, batchSize);
    var clock = Stopwatch.StartNew();
    int runs = 0;
    while (clock.Elapsed.TotalSeconds < seconds)
    {
        model.Infer(input, output, batchSize);
        runs++;
    }

    return runs * batchSize / clock.Elapsed.TotalSeconds;
}

static string KernelName(int bits) => bits switch
{
    512 => "Vector512 (AVX-512)",
    256 => "Vector256 (AVX2 + FMA)",
    _ => "scalar code (no AVX2 on this CPU)",
};
