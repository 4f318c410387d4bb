/**
 * The report as people read it: the console table, report.html, report.json and the PNG figures.
 */
package io.crossover.driver.report.render;
