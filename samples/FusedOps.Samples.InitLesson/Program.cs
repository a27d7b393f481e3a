// The lesson on initialisation: a deep tanh MLP started three ways, small normal N(0, 0.01²), Xavier
// (gain 5/3, for tanh) and He/Kaiming (fan-in, ReLU gain), showing per-layer activation statistics
// at the start and what one epoch of SGD makes of each. Tanh layers run in FusedOps' reference
// interpreter (the generator does not emit Tanh yet), one block per hidden layer so that every
// layer's activations can be inspected.
//
//   dotnet run --project samples/FusedOps.Samples.InitLesson -c Release -- [--data DIR] [--out DIR]

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using FusedOps.Data;
using FusedOps.Samples.InitLesson;
using FusedOps.Training;

string data = FashionMnist.DebianDirectory, output = "init-lesson-out";
for (int i = 0; i + 1 < args.Length; i += 2)
{
    if (args[i] == "--data")
    {
        data = args[i + 1];
    }
    else if (args[i] == "--out")
    {
        output = args[i + 1];
    }
}

if (FashionMnist.MissingFiles(data).Length > 0)
{
    Console.Error.WriteLine($"Fashion-MNIST is not in '{data}'. Install it (apt-get install dataset-fashion-mnist) or pass --data DIR with the four IDX files.");
    return 1;
}

ImageDataset train = FashionMnist.Load(data, train: true).Take(6000);
ImageDataset test = FashionMnist.Load(data, train: false).Take(2000);
var schemes = new (string Name, Action<DeepTanhMlp> Initialise)[]
{
    ("small normal N(0, 0.01²)", m => m.InitialiseWeights(Init.Normal(0.01))),
    ("Xavier normal, gain 5/3", m => m.InitialiseWeights(Init.XavierNormal(Init.Gain(Nonlinearity.Tanh)))),
    ("He (Kaiming normal, ReLU gain)", m => m.InitialiseWeights(Init.KaimingNormal(nonlinearity: Nonlinearity.ReLU))),
};

var curves = new List<(string Name, double[] Std)>();
foreach ((string name, Action<DeepTanhMlp> initialise) in schemes)
{
    var model = new DeepTanhMlp(inputs: 784, hidden: 128, depth: 8, classes: 10);
    initialise(model);
    LayerStatistics[] start = model.Statistics(train, 500);
    Console.WriteLine($"{name}: activations of each tanh layer at the start (500 images)");
    Console.WriteLine("  layer      mean       std   saturated (|a| > 0.99)");
    foreach (LayerStatistics s in start)
    {
        Console.WriteLine($"  {s.Layer,5} {s.Mean,9:F4} {s.StandardDeviation,9:F4} {s.Saturated,10:P1}");
    }

    (double loss, double accuracy) = model.TrainAndTest(train, test, learningRate: 0.05f, batchSize: 64);
    Console.WriteLine($"  after 1 epoch of SGD (lr 0.05) on 6,000 images: train loss {loss:F4}, test accuracy {accuracy:P1}");
    Console.WriteLine();
    curves.Add((name, start.Select(s => s.StandardDeviation).ToArray()));
}

Directory.CreateDirectory(output);
string plotPath = Path.Combine(output, "activation-std.png");
var plot = new ScottPlot.Plot();
foreach ((string name, double[] std) in curves)
{
    var line = plot.Add.Scatter(Enumerable.Range(1, std.Length).Select(i => (double)i).ToArray(), std);
    line.LegendText = name;
}

plot.Title("Standard deviation of tanh activations per layer, at initialisation");
plot.XLabel("layer");
plot.YLabel("std of activations");
plot.ShowLegend();
plot.SavePng(plotPath, 900, 540);
Console.WriteLine($"Saved {plotPath}");
return 0;
