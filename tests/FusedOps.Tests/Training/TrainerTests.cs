using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using FusedOps.Data;
using FusedOps.Serialization;
using FusedOps.Training;
using Xunit;

namespace FusedOps.Tests.Training;

/// <summary>A tiny generated classifier for the trainer tests.</summary>
[FusedPipeline(1, 4, 4)]
[Conv2d(4, 3, Padding = 1)]
[BatchNorm]
[ReLU]
[Flatten]
[Linear(3)]
public partial class TinyClassifier
{
}

public sealed class TrainerTests
{
    [Fact]
    public void Fit_SeparableImages_LearnsThemAndReportsEveryEpoch()
    {
        var model = new TinyClassifier(seed: 1);
        var reports = new List<EpochReport>();
        var batches = new List<BatchProgress>();
        var trainer = new Trainer(model, new Adam(model.Parameters, learningRate: 0.02f))
        {
            Progress = new Collect<EpochReport>(reports),
            BatchProgress = new Collect<BatchProgress>(batches),
            Schedule = null,
        };

        TrainingResult result = trainer.Fit(Loader(Bars(300, seed: 1), shuffle: true), epochs: 4, validation: Loader(Bars(90, seed: 2), shuffle: false));

        Assert.Equal(4, reports.Count);
        Assert.Equal(Enumerable.Range(1, 4), reports.Select(r => r.Epoch));
        Assert.True(reports[^1].TrainLoss < reports[0].TrainLoss, "loss did not fall");
        Assert.True(result.BestValidationAccuracy > 0.9, $"validation accuracy {result.BestValidationAccuracy}");
        Assert.All(reports, r => Assert.True(r.ImagesPerSecond > 0 && r.ValidationAccuracy is not null));
        Assert.Equal(4 * 10, batches.Count); // 300 images / 32 per batch = 10 batches per epoch
        Assert.Contains("epoch 4/4: loss ", reports[^1].ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Fit_NoImprovement_StopsAfterPatienceEpochs()
    {
        var model = new TinyClassifier(seed: 2);
        var trainer = new Trainer(model, new Sgd(model.Parameters, learningRate: 0f)) { Patience = 2 };

        TrainingResult result = trainer.Fit(Loader(Bars(64, 3), true), epochs: 10, validation: Loader(Bars(32, 4), false));

        Assert.True(result.StoppedEarly);
        Assert.Equal(3, result.Epochs.Count); // epoch 1 sets the best, 2 and 3 do not improve
        Assert.Equal(1, result.BestEpoch);
    }

    [Fact]
    public void Fit_WithCheckpoint_SavesBestModelAndOptimizerState()
    {
        string path = Path.Combine(Path.GetTempPath(), $"fusedops-trainer-{Guid.NewGuid():N}.safetensors");
        try
        {
            var model = new TinyClassifier(seed: 3);
            var adam = new Adam(model.Parameters, learningRate: 0.01f);
            var schedule = new StepLR(adam, stepSize: 1, gamma: 0.5f);
            var trainer = new Trainer(model, adam) { CheckpointPath = path, Schedule = schedule, MaxGradientNorm = 5f };

            TrainingResult result = trainer.Fit(Loader(Bars(64, 5), true), epochs: 2);

            Assert.Equal(new[] { 0.01f, 0.005f }, result.Epochs.Select(r => r.LearningRate));
            var reloaded = new TinyClassifier(seed: 99);
            StateDict.Load(reloaded, path);
            float[] input = Bars(8, 6).Pixels.Select(b => b / 255f).ToArray(), a = new float[24], b = new float[24];
            model.Infer(input, a, 8);
            reloaded.Infer(input, b, 8);
            Assert.Equal(a, b);
            var resumed = new Adam(new TinyClassifier().Parameters, learningRate: 1f);
            resumed.LoadState(Trainer.OptimizerCheckpointPath(path));
            Assert.Equal(adam.StepCount, resumed.StepCount);
        }
        finally
        {
            File.Delete(path);
            File.Delete(Trainer.OptimizerCheckpointPath(path));
        }
    }

    [Fact]
    public void Fit_ImagesOfWrongSize_ThrowsNamingTheLoader()
    {
        var model = new TinyClassifier();
        var trainer = new Trainer(model, new Sgd(model.Parameters, 0.1f));
        var wrong = new MinibatchLoader(new ImageDataset(new byte[25], new byte[1], 1, 5, 5), 1);

        var ex = Assert.Throws<ArgumentException>(() => trainer.Fit(wrong, 1));

        Assert.Equal("train", ex.ParamName);
        Assert.Contains("images of 25 values do not fit the model's input of 16", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>4×4 images of class c ∈ {0, 1, 2}: a bright row c (plus noise).</summary>
    private static ImageDataset Bars(int count, int seed)
    {
        var random = new Random(seed);
        byte[] labels = new byte[count], pixels = new byte[count * 16];
        for (int n = 0; n < count; n++)
        {
            labels[n] = (byte)random.Next(3);
            for (int p = 0; p < 16; p++)
            {
                pixels[(n * 16) + p] = (byte)(random.Next(60) + (p / 4 == labels[n] ? 180 : 0));
            }
        }

        return new ImageDataset(pixels, labels, 1, 4, 4);
    }

    private static MinibatchLoader Loader(ImageDataset data, bool shuffle) => new(data, 32, 0.3f, 0.3f, shuffle, seed: 1);

    private sealed class Collect<T>(List<T> into) : IProgress<T>
    {
        public void Report(T value) => into.Add(value);
    }
}
