"""spillmap.maps: offline Folium maps and the HTML report."""
