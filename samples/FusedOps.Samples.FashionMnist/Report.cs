using System;
using System.Collections.Generic;
using System.Linq;
using FusedOps.Training;
using Spectre.Console;

namespace FusedOps.Samples.FashionMnist;

/// <summary>The sample's output: progress display, confusion matrix and learning curves.</summary>
internal static class Report
{
    /// <summary>Rows: true class; columns: predicted class; then per-class recall.</summary>
    public static void PrintConfusionMatrix(float[] logits, int[] labels, string[] classNames)
    {
        int classes = classNames.Length;
        var counts = new int[classes, classes];
        for (int n = 0; n < labels.Length; n++)
        {
            counts[labels[n], SoftmaxCrossEntropy.Argmax(logits.AsSpan(n * classes, classes))]++;
        }

        Console.WriteLine("Confusion matrix (rows: true class, columns: predicted class):");
        string[] shortNames = classNames.Select(c => c.Length > 7 ? c[..7] : c).ToArray();
        Console.WriteLine($"{"",-12}{string.Concat(shortNames.Select(s => $"{s,8}"))}   recall");
        for (int t = 0; t < classes; t++)
        {
            int total = Enumerable.Range(0, classes).Sum(p => counts[t, p]);
            string row = string.Concat(Enumerable.Range(0, classes).Select(p => $"{counts[t, p],8}"));
            Console.WriteLine($"{classNames[t],-12}{row}   {(total == 0 ? 0 : (double)counts[t, t] / total),6:P1}");
        }
    }

    /// <summary>Train loss (left axis) and train/test accuracy (right axis) per epoch.</summary>
    public static void SaveCurves(IReadOnlyList<EpochReport> history, string path)
    {
        double[] epochs = history.Select(r => (double)r.Epoch).ToArray();
        var plot = new ScottPlot.Plot();
        var loss = plot.Add.Scatter(epochs, history.Select(r => r.TrainLoss).ToArray());
        loss.LegendText = "train loss";
        var trainAccuracy = plot.Add.Scatter(epochs, history.Select(r => r.TrainAccuracy).ToArray());
        trainAccuracy.LegendText = "train accuracy";
        trainAccuracy.Axes.YAxis = plot.Axes.Right;
        var testAccuracy = plot.Add.Scatter(epochs, history.Select(r => r.ValidationAccuracy ?? double.NaN).ToArray());
        testAccuracy.LegendText = "test accuracy";
        testAccuracy.Axes.YAxis = plot.Axes.Right;
        plot.Title("FashionNet on Fashion-MNIST");
        plot.XLabel("epoch");
        plot.YLabel("loss");
        plot.Axes.Right.Label.Text = "accuracy";
        plot.ShowLegend(ScottPlot.Edge.Bottom); // below the axes, where no curve can hide under it
        plot.SavePng(path, 900, 540);
    }
}

/// <summary>Epoch lines, and a live progress bar per epoch when the terminal is interactive.</summary>
internal static class ProgressDisplay
{
    public static TrainingResult Run(int epochs, int batchesPerEpoch, Func<IProgress<EpochReport>, IProgress<BatchProgress>?, TrainingResult> train)
    {
        bool interactive = AnsiConsole.Profile.Capabilities.Interactive && !Console.IsOutputRedirected;

        // Through Spectre while its live bar is on screen (it prints above the bar), plain otherwise (logs: no wrapping).
        var lines = new Reporter<EpochReport>(r =>
        {
            string line = "  " + r.ToString().Replace("val ", "test ", StringComparison.Ordinal);
            if (interactive)
            {
                AnsiConsole.WriteLine(line);
            }
            else
            {
                Console.WriteLine(line);
            }
        });
        if (!interactive)
        {
            return train(lines, null);
        }

        TrainingResult? result = null;
        AnsiConsole.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                ProgressTask task = context.AddTask("epoch 1", maxValue: batchesPerEpoch);
                var batches = new Reporter<BatchProgress>(b =>
                {
                    if (b.Batch == 1)
                    {
                        task.Value = 0;
                        task.Description = $"epoch {b.Epoch}/{epochs}";
                    }

                    task.Value = b.Batch;
                    if (b.Batch % 50 == 0)
                    {
                        task.Description = $"epoch {b.Epoch}/{epochs} loss {b.MeanLoss:F4}";
                    }
                });
                result = train(lines, batches);
            });
        return result!;
    }
}
