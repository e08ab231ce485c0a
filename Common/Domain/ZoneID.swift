/// Names a pedestrian zone; `"*"` in a permit's zones means every zone, so city-wide services need one permit.
public typealias ZoneID = String
