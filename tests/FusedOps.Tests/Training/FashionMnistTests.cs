using System;
using System.IO;
using FusedOps.Data;
using FusedOps.Samples.FashionMnist;
using FusedOps.Training;
using Xunit;
using Xunit.Abstractions;

namespace FusedOps.Tests.Training;

/// <summary>Runs only where the Fashion-MNIST files are (Debian's dataset-fashion-mnist, which .ci/run installs).</summary>
public sealed class FashionMnistFactAttribute : FactAttribute
{
    /// <summary>The data directory: $FUSEDOPS_FASHION_MNIST, else the Debian package's.</summary>
    public static string DataDirectory => Environment.GetEnvironmentVariable("FUSEDOPS_FASHION_MNIST") is { Length: > 0 } d ? d : FashionMnist.DebianDirectory;

    public FashionMnistFactAttribute()
    {
        string[] missing = FashionMnist.MissingFiles(DataDirectory);
        if (missing.Length > 0)
        {
            Skip = $"Fashion-MNIST is not in '{DataDirectory}' (missing {string.Join(", ", missing)}): apt-get install dataset-fashion-mnist, or set FUSEDOPS_FASHION_MNIST to a directory with the four IDX files.";
        }
    }
}

public sealed class FashionMnistTests(ITestOutputHelper output)
{
    [FashionMnistFact]
    public void OneEpochOnFirst6000Images_FrozenModelBeatsEightyPercentOnTheTestSet()
    {
        ImageDataset train = FashionMnist.Load(FashionMnistFactAttribute.DataDirectory, train: true).Take(6000);
        ImageDataset test = FashionMnist.Load(FashionMnistFactAttribute.DataDirectory, train: false);
        Assert.Equal(10_000, test.Count);
        var model = new FashionNet(seed: 1);
        var trainer = new Trainer(model, new Adam(model.Parameters, learningRate: 1e-3f));

        trainer.Fit(new MinibatchLoader(train, 64, FashionMnist.Mean, FashionMnist.StandardDeviation, shuffle: true, seed: 1), epochs: 1);
        double accuracy = Trainer.Evaluate(model.Freeze(), new MinibatchLoader(test, 500, FashionMnist.Mean, FashionMnist.StandardDeviation, shuffle: false));

        output.WriteLine($"test accuracy of the frozen model after 1 epoch on 6,000 images: {accuracy:P2}");
        Assert.True(accuracy > 0.80, $"test accuracy after 1 epoch on 6,000 images: {accuracy:P2}");
    }

    [Fact]
    public void MissingFiles_EmptyDirectory_ListsAllFour()
    {
        string empty = Directory.CreateTempSubdirectory("fusedops-nofm-").FullName;
        try
        {
            Assert.Equal(FashionMnist.FileNames, FashionMnist.MissingFiles(empty));
        }
        finally
        {
            Directory.Delete(empty);
        }
    }
}
