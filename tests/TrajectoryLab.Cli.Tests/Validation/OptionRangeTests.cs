// Every number an experiment file can set is bounded: each numeric option carries [Range], each list of numbers
// [EachInRange], so that an ε of 1e9, a negative step or a temperature of ∞ is refused before the run instead of
// completing with overflowed results. Walks the options type of every registered experiment, nested settings included.
using System.ComponentModel.DataAnnotations;
using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TrajectoryLab.Cli.Configuration;
using TrajectoryLab.Experiments;

namespace TrajectoryLab.Cli.Tests.Validation;

public sealed class OptionRangeTests
{
    static readonly Type[] Numbers = [typeof(int), typeof(long), typeof(double), typeof(float)];

    static IEnumerable<string> Unbounded(Type type, string prefix, HashSet<Type> seen)
    {
        if (!seen.Add(type)) yield break;
        foreach (var p in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
        {
            var t = Nullable.GetUnderlyingType(p.PropertyType) ?? p.PropertyType;
            var element = t.IsArray ? t.GetElementType()! : null;
            if (Numbers.Contains(t))
            {
                if (p.GetCustomAttribute<RangeAttribute>() is null) yield return prefix + p.Name;
            }
            else if (element is not null && Numbers.Contains(element))
            {
                if (p.GetCustomAttribute<EachInRangeAttribute>() is null) yield return prefix + p.Name + "[]";
            }
            else if (t.IsClass && t != typeof(string) && !t.IsArray && t.Namespace?.StartsWith("TrajectoryLab", StringComparison.Ordinal) == true)
                foreach (var inner in Unbounded(t, prefix + p.Name + ".", seen)) yield return inner;
        }
    }

    [Fact]
    public void EveryNumericOptionOfEveryExperimentHasARange()
    {
        var experiments = new ServiceCollection().AddLogging(b => b.SetMinimumLevel(LogLevel.Warning)).AddTrajectoryLab().BuildServiceProvider()
            .GetServices<IExperiment>().ToList();
        Assert.True(experiments.Count >= 17);
        var missing = experiments.SelectMany(e => Unbounded(e.OptionsType, e.Kind + ": ", [])).ToList();
        Assert.Equal("", string.Join(", ", missing)); // names every option without a range
    }

    [Fact]
    public void EachInRangeNamesTheElement()
    {
        var attribute = new EachInRangeAttribute(1e-12, 10);
        var result = attribute.GetValidationResult(new[] { 1e-3, 1e9 }, new ValidationContext(new object()) { MemberName = "Epsilons" });
        Assert.NotNull(result);
        Assert.Equal("Epsilons:1", Assert.Single(result!.MemberNames));
        Assert.Contains("1000000000 is outside [1E-12, 10]", result.ErrorMessage);
        Assert.Null(attribute.GetValidationResult(new[] { 1e-3, 10 }, new ValidationContext(new object()) { MemberName = "Epsilons" }));
        Assert.NotNull(attribute.GetValidationResult(new[] { double.NaN }, new ValidationContext(new object()) { MemberName = "Epsilons" }));
    }
}
