'use strict';
/* Places the sentences of site-notes/notes.json (written by `twolayer-bench publish` from the
   results) on asv's pages: a tile or graph of a benchmark with no point or one, and the
   Regressions page's account of what it searches. asv's own scripts are left as they are. */
$(document).ready(function() {
    var notes = null;

    function current_benchmark() {
        var hash = window.location.hash.replace(/^#\/?/, '');
        return decodeURIComponent(hash.split('?')[0]);
    }

    function annotate() {
        if (notes === null) {
            return;
        }
        $.each(notes.panels, function(name, note) {
            $('#summarygrid-display a.benchmark-container').filter(function() {
                return $(this).attr('href') === '#' + name && $(this).children('.site-note').length === 0;
            }).append($('<div class="site-note site-note-tile"/>').text(note.tile));
        });
        var name = current_benchmark();
        var graph_note = $('#site-note-graph');
        if (notes.panels[name] !== undefined) {
            if (graph_note.length === 0 || graph_note.data('benchmark') !== name) {
                graph_note.remove();
                $('#graph').append($('<div id="site-note-graph" class="site-note"/>')
                                   .data('benchmark', name).text(notes.panels[name].graph));
            }
        }
        else {
            graph_note.remove();
        }
        if ($('#regressions-display').length && $('#site-note-regressions').length === 0) {
            $('#regressions-display').prepend(
                $('<div id="site-note-regressions" class="site-note"/>').html(notes.regressions_html));
        }
    }

    $.ajax({url: 'site-notes/notes.json', dataType: 'json', cache: false}).done(function(data) {
        notes = data;
        annotate();
        var pending = false;
        new MutationObserver(function() {
            if (!pending) {
                pending = true;
                window.setTimeout(function() { pending = false; annotate(); }, 50);
            }
        }).observe(document.body, {childList: true, subtree: true});
        $(window).on('hashchange', annotate);
    });
});
