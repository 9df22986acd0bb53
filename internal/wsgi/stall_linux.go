package wsgi

// probesThreads is true where threadProbe sees real thread states, so the pool may let another
// thread in as soon as the working ones are seen blocked instead of waiting out a long queue age.
const probesThreads = true

// stallAfter is the least time a request waits in the queue before another thread is let in;
// here the monitor's looks at the threads decide alone.
const stallAfter = 0
