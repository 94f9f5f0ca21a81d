# ns/value against the number of chained stages, one line per variant.
# Called by plot.sh: gnuplot -e "data='...'; out='...'; subtitle='...'" stages.gnuplot
# The data file has a header row of variant names, then one row per depth: stages, ns/value...
if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {
  set terminal pngcairo size 900,600 font "DejaVu Sans,11"
} else {
  set terminal png size 900,600
}
set output out
set title "coflow throughput: cost of chained stages\n{/*0.8 ".subtitle."}"
set xlabel "stages in the chain"
set ylabel "ns per value (CPU time, log scale)"
set logscale x 2
set logscale y 10
set xtics (1, 2, 4, 8, 16)
set xrange [0.85:19]
set grid xtics ytics mytics
set key top left noenhanced
set datafile separator whitespace
columns = system("head -1 ".data." | wc -w")
# one colour per column, in the order the variants come in the data file
set linetype 1 lc rgb "#333333"
set linetype 2 lc rgb "#1b9e77"
set linetype 3 lc rgb "#7570b3"
set linetype 4 lc rgb "#d95f02"
set linetype 5 lc rgb "#e7298a"
set linetype 6 lc rgb "#0072b2"
plot for [c = 2:columns] data using 1:c with linespoints lw 2 pt 7 ps 1.2 title columnheader(c)
