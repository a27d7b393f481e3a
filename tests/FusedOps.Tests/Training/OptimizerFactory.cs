using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Reflection;
using System.Text.RegularExpressions;
using FusedOps.Training;

namespace FusedOps.Tests.Training;

/// <summary>
/// Builds an optimiser from named arguments, the way the fixtures' <c>api</c> metadata writes it
/// (<c>new Adam(p, learningRate: 0.01f)</c>), so fixtures and random settings share one path and a
/// renamed argument fails loudly.
/// </summary>
internal static partial class OptimizerFactory
{
    public static Optimizer Create(string type, ParameterList parameters, IReadOnlyDictionary<string, object> arguments)
    {
        Type optimizer = typeof(Optimizer).Assembly.GetType("FusedOps.Training." + type, throwOnError: true)!;
        ConstructorInfo constructor = optimizer.GetConstructors().Single();
        ParameterInfo[] formal = constructor.GetParameters();
        foreach (string name in arguments.Keys)
        {
            if (!formal.Any(f => f.Name == name))
            {
                throw new ArgumentException($"{type} has no argument '{name}'; it has {string.Join(", ", formal.Select(f => f.Name))}.");
            }
        }

        object?[] actual = formal.Select(f => f.Name == "parameters" ? parameters
            : arguments.TryGetValue(f.Name!, out object? v) ? Convert.ChangeType(v, f.ParameterType, CultureInfo.InvariantCulture)
            : f.HasDefaultValue ? f.DefaultValue : throw new ArgumentException($"{type} needs '{f.Name}'.")).ToArray();
        try
        {
            return (Optimizer)constructor.Invoke(actual);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            throw e.InnerException;
        }
    }

    /// <summary>Parses <c>new Type(p, name: value, ...)</c>.</summary>
    public static (string Type, Dictionary<string, object> Arguments) Parse(string api)
    {
        Match call = CallPattern().Match(api);
        if (!call.Success)
        {
            throw new FormatException($"Cannot parse optimiser construction '{api}'.");
        }

        var arguments = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (string part in call.Groups["args"].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string[] nameValue = part.Split(':', 2, StringSplitOptions.TrimEntries);
            string value = nameValue[1];
            arguments[nameValue[0]] = value is "true" or "false"
                ? value == "true"
                : float.Parse(value.TrimEnd('f', 'F'), CultureInfo.InvariantCulture);
        }

        return (call.Groups["type"].Value, arguments);
    }

    [GeneratedRegex(@"^\s*new\s+(?<type>\w+)\(\s*p\s*(,(?<args>.*))?\)\s*;?\s*$")]
    private static partial Regex CallPattern();
}
